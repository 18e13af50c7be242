#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_content_wrapped.py - writes the corpus of attachments that hide what
# they are behind a wrapping: encrypted documents (tests/data/content/
# encrypted-*, owner-only*) and forwarded mails (tests/data/cases/120-..
# 125-*.eml, 130-..135-*.eml).  Run once by a developer from the top of
# the tree; the files are committed and their expected lines are in
# tests/data/cases/expected.tsv, so the tests need neither Python nor qpdf.
#
# The PDFs are encrypted by qpdf (Debian's qpdf package), from the clean
# and JavaScript PDFs of gen_content.py (R5/R6 salts are random: a new run
# writes other bytes, judged the same); the encrypted zip by zip -P.  The
# Office and OpenDocument files are built here: what makes them encrypted
# is their structure (an OLE "EncryptedPackage" stream; a manifest with
# encryption-data), which is all the checks read.
import base64, io, os, quopri, struct, subprocess, sys, tempfile, zipfile

root = sys.argv[1] if len(sys.argv) > 1 else "."
content = os.path.join(root, "tests/data/content")
cases = os.path.join(root, "tests/data/cases")


def read(name):
    with open(os.path.join(content, name), "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


# ---- encrypted documents ---------------------------------------------------

# OLE Compound File (as gen_content.py): header, one FAT sector, one
# directory sector.
def ole(names):
    hdr = bytearray(512)
    hdr[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", hdr, 0x18, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", hdr, 0x20, 6)
    struct.pack_into("<I", hdr, 0x2C, 1)
    struct.pack_into("<I", hdr, 0x30, 1)
    struct.pack_into("<I", hdr, 0x38, 4096)
    struct.pack_into("<I", hdr, 0x3C, 0xFFFFFFFE)
    struct.pack_into("<I", hdr, 0x44, 0xFFFFFFFE)
    struct.pack_into("<I", hdr, 0x4C, 0)
    for i in range(1, 109):
        struct.pack_into("<I", hdr, 0x4C + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)
    d = bytearray()
    for i, (n, t) in enumerate(names):
        e = bytearray(128)
        u = n.encode("utf-16-le") + b"\0\0"
        e[0:len(u)] = u
        struct.pack_into("<H", e, 64, len(u))
        e[66] = t
        struct.pack_into("<III", e, 68, 0xFFFFFFFF, 0xFFFFFFFF,
                         1 if i == 0 and len(names) > 1 else 0xFFFFFFFF)
        struct.pack_into("<I", e, 116, 0xFFFFFFFE)
        d += e
    d += b"\0" * (512 - len(d))
    return bytes(hdr) + bytes(fat) + bytes(d[:512])


# What Word writes for a .docx with a password (MS-OFFCRYPTO): an OLE
# file with EncryptionInfo and EncryptedPackage streams.
write(os.path.join(content, "encrypted-package.docx"),
      ole([("Root Entry", 5), ("EncryptionInfo", 2), ("EncryptedPackage", 2),
           ("\x06DataSpaces", 1)]))

# An OpenDocument text with a password: its entries are encrypted, and the
# manifest says how (no zip flag is set).
MANIFEST_ENC = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="3113">
  <manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="dGVzdA==">
   <manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAAAAAAAAAAAAAAAAAAAA=="/>
   <manifest:start-key-generation manifest:start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256" manifest:key-size="32"/>
   <manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="AAAAAAAAAAAAAAAAAAAAAA=="/>
  </manifest:encryption-data>
 </manifest:file-entry>
</manifest:manifest>
"""


def odt(manifest, body):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"),
                    "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", body, zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return b.getvalue()


write(os.path.join(content, "encrypted.odt"),
      odt(MANIFEST_ENC, bytes(range(256)) * 12))

with tempfile.TemporaryDirectory() as tmp:
    def qpdf(src, dst, *args):
        s = os.path.join(tmp, "in.pdf")
        write(s, read(src))
        subprocess.run(["qpdf", "--static-id"] + list(args) + [s,
                        os.path.join(content, dst)], check=True)
    # A user password, objects in (encrypted) object streams: unreadable.
    qpdf("clean.pdf", "encrypted-objstm.pdf", "--object-streams=generate",
         "--encrypt", "motdepasse", "proprietaire", "256", "--")
    qpdf("clean.pdf", "encrypted-rc4.pdf", "--allow-weak-crypto",
         "--object-streams=generate", "--encrypt", "motdepasse",
         "proprietaire", "128", "--use-aes=n", "--")
    # An owner password only (printing restricted), the objects in object
    # streams: any reader opens it, the scan decrypts it and judges it as
    # usual, clean or not; AES-128 (R4), AES-256 (R6), RC4 (R3).
    qpdf("clean.pdf", "owner-only.pdf", "--object-streams=generate",
         "--encrypt", "", "proprietaire", "128", "--use-aes=y",
         "--print=none", "--")
    qpdf("js.pdf", "owner-only-js.pdf", "--object-streams=generate",
         "--encrypt", "", "proprietaire", "256", "--print=none", "--")
    qpdf("js.pdf", "owner-only-rc4-js.pdf", "--allow-weak-crypto",
         "--object-streams=generate", "--encrypt", "", "proprietaire",
         "128", "--use-aes=n", "--print=none", "--")
    # objects in the clear: their names read without decrypting anything
    qpdf("js.pdf", "owner-only-clear-js.pdf", "--object-streams=disable",
         "--encrypt", "", "proprietaire", "256", "--print=none", "--")
    # An encrypted zip: an archive, forbidden as archives are.
    write(os.path.join(tmp, "RIB.pdf"), read("clean.pdf"))
    z = os.path.join(tmp, "rib.zip")
    subprocess.run(["zip", "-q", "-j", "-P", "motdepasse", z,
                    os.path.join(tmp, "RIB.pdf")], check=True)
    with open(z, "rb") as f:
        write(os.path.join(content, "encrypted.zip"), f.read())

# ---- the mails -------------------------------------------------------------

HEAD = """Return-Path: <a.martin@apeai34.fr>
Authentication-Results: mx.caf.test; dmarc=pass (p=quarantine dis=none) header.from=apeai34.fr
Authentication-Results: mx.caf.test;
	dkim=pass (2048-bit key; unprotected) header.d=apeai34.fr header.s=s2025
Authentication-Results: mx.caf.test; spf=pass smtp.mailfrom=a.martin@apeai34.fr
Received: from smtp.apeai34.fr (smtp.apeai34.fr [192.0.2.25])
	by mx.caf.test (Postfix) with ESMTPS id 4Xq7Lm2Z3c{n}
	for <balp@caf.test>; Wed, 18 Nov 2026 10:{n} +0100
From: "MARTIN, Anne" <a.martin@apeai34.fr>
To: "BALP Caf de l'Herault" <balp@caf.test>
Subject: {subject}
Date: Wed, 18 Nov 2026 10:{n} +0100
Message-ID: <wrapped-{n}@apeai34.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_wrapped_{n}"

"""
SUBJECT = "TR: RIB - Mme N'GUESSAN Aya - NIR 2 87 06 34 172 058 73"
BODY = ("Bonjour,\n\nje vous transfère le message du CCAS avec le RIB de "
        "Mme N'Guessan.\n\nCordialement,\nAnne Martin\n")

# The mail the CCAS sent to the partner, forwarded as an attachment.
INNER_HEAD = """From: Service social <social@ccas-beziers.fr>
To: a.martin@apeai34.fr
Subject: RIB de Mme N'Guessan
Date: Mon, 16 Nov 2026 14:02:00 +0100
Message-ID: <ccas-{n}@ccas-beziers.fr>
MIME-Version: 1.0
"""


def b64(data):
    return base64.encodebytes(data).decode()


def attachment(boundary, ctype, fname, data):
    return ("--%s\nContent-Type: %s; name=\"%s\"\nContent-Disposition: "
            "attachment; filename=\"%s\"\nContent-Transfer-Encoding: base64"
            "\n\n%s") % (boundary, ctype, fname, fname, b64(data))


def inner_mail(n, parts, html=False):
    """The forwarded mail: its text (and HTML), then its attachments."""
    s = INNER_HEAD.replace("{n}", str(n))
    s += 'Content-Type: multipart/mixed; boundary="=_ccas_%d"\n\n' % n
    text = "Bonjour,\n\nci-joint le RIB.\n\nLe service social\n"
    if html:
        s += ('--=_ccas_%d\nContent-Type: multipart/alternative; '
              'boundary="=_alt_%d"\n\n--=_alt_%d\nContent-Type: text/plain; '
              'charset=utf-8\n\n%s\n--=_alt_%d\nContent-Type: text/html; '
              'charset=utf-8\n\n<html><body><p>Bonjour,</p><p>ci-joint le '
              'RIB.</p></body></html>\n--=_alt_%d--\n\n') % (
                  n, n, n, text, n, n)
    else:
        s += ("--=_ccas_%d\nContent-Type: text/plain; charset=utf-8\n\n%s\n"
              % (n, text))
    for ctype, fname, data in parts:
        s += attachment("=_ccas_%d" % n, ctype, fname, data)
    s += "--=_ccas_%d--\n" % n
    return s.encode()


def mail(n, wrapped, parts=(), subject=SUBJECT, body=BODY):
    """wrapped: the forwarded mail's part (headers and body) or None."""
    b = "=_wrapped_%d" % n
    s = HEAD.replace("{n}", str(n)).replace("{subject}", subject).encode()
    s += ("--%s\nContent-Type: text/plain; charset=utf-8\n"
          "Content-Transfer-Encoding: 8bit\n\n%s\n" % (b, body)).encode()
    for ctype, fname, data in parts:
        s += attachment(b, ctype, fname, data).encode()
    if wrapped is not None:
        s += ("--%s\n" % b).encode() + wrapped + b"\n"
    s += ("--%s--\n" % b).encode()
    return s


def rfc822(data, cte):
    if cte == "base64":
        body = b64(data).encode()
    elif cte == "quoted-printable":
        body = quopri.encodestring(data)
    else:
        body = data
    return (("Content-Type: message/rfc822\nContent-Disposition: attachment;"
             " filename=\"RIB de Mme N'Guessan.eml\"\n"
             "Content-Transfer-Encoding: %s\n\n" % cte).encode() + body)


exe_inside = inner_mail(120, [("application/pdf", "RIB.pdf",
                                read("program.exe"))])
rib = [("application/pdf", "RIB_NGuessan.pdf", read("clean.pdf"))]
mails = {
    "120-tr-exe-dans-message-rfc822-7bit": mail(
        120, rfc822(exe_inside, "7bit"), rib),
    "121-tr-exe-dans-message-rfc822-base64": mail(
        121, rfc822(exe_inside, "base64"), rib),
    "122-tr-exe-dans-message-rfc822-quoted-printable": mail(
        122, rfc822(exe_inside, "quoted-printable"), rib),
    "123-tr-exe-dans-eml-octet-stream": mail(
        123, ("Content-Type: application/octet-stream; name=\"TR RIB.eml\"\n"
              "Content-Disposition: attachment; filename=\"TR RIB.eml\"\n"
              "Content-Transfer-Encoding: base64\n\n").encode() +
        b64(exe_inside).encode()),
    # A clean forward, HTML and all: its RIB counts, nothing forbids it.
    "124-tr-rib-propre-message-rfc822-base64": mail(
        124, rfc822(inner_mail(124, rib, html=True), "base64")),
}

# Nesting counted through the wrapping: sixteen 7bit forwards (32 levels,
# within limits.max_mime_depth as a mail of its own) inside a base64 one.
deep = b"From: x@ccas-beziers.fr\nSubject: niveau 0\n\nfin\n"
for i in range(16):
    deep = (("From: x@ccas-beziers.fr\nSubject: niveau %d\nMIME-Version: 1.0"
             "\nContent-Type: multipart/mixed; boundary=\"n%d\"\n\n--n%d\n"
             "Content-Type: text/plain\n\nvoir\n--n%d\n"
             "Content-Type: message/rfc822\n\n") % (i + 1, i, i, i)).encode() \
        + deep + ("\n--n%d--\n" % i).encode()
mails["125-tr-imbrication-trop-profonde"] = mail(
    125, rfc822(deep, "base64"), rib)

SUBJ_RIB = "Transmission RIB - Mme N'GUESSAN Aya - NIR 2 87 06 34 172 058 73"
BODY_RIB = ("Bonjour,\n\nVeuillez trouver ci-joint le RIB de Mme N'Guessan."
            "\n\nCordialement,\nAnne Martin\n")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
enc = {
    "130-docx-chiffre": rib + [(DOCX, "attestation.docx",
                                read("encrypted-package.docx"))],
    "131-odt-chiffre": rib + [("application/vnd.oasis.opendocument.text",
                               "attestation.odt", read("encrypted.odt"))],
    "132-pdf-mot-de-passe": [("application/pdf", "RIB.pdf",
                              read("encrypted-objstm.pdf"))],
    "133-pdf-restrictions-proprietaire": [("application/pdf", "RIB.pdf",
                                           read("owner-only.pdf"))],
    "134-pdf-restrictions-javascript": [("application/pdf", "RIB.pdf",
                                         read("owner-only-js.pdf"))],
    "136-pdf-mot-de-passe-rc4": [("application/pdf", "RIB.pdf",
                                  read("encrypted-rc4.pdf"))],
    "135-zip-chiffre": rib + [("application/zip", "RIB.zip",
                               read("encrypted.zip"))],
}
for slug, parts in enc.items():
    mails[slug] = mail(int(slug[:3]), None, parts, SUBJ_RIB, BODY_RIB)

for slug, data in mails.items():
    write(os.path.join(cases, slug + ".eml"), data)
