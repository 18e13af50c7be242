#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# gen_content_cases.py - writes the end-to-end cases of attachments judged
# by content (tests/data/cases/100-..117-*.eml) from the corpus of
# tests/data/content.  Run once by a developer; the mails are committed
# and their expected lines are in tests/data/cases/expected.tsv.
import base64, os, sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
content = os.path.join(root, "tests/data/content")
cases = os.path.join(root, "tests/data/cases")

HEAD = """Return-Path: <a.martin@apeai34.fr>
Authentication-Results: mx.caf.test; dmarc=pass (p=quarantine dis=none) header.from=apeai34.fr
Authentication-Results: mx.caf.test;
	dkim=pass (2048-bit key; unprotected) header.d=apeai34.fr header.s=s2025
Authentication-Results: mx.caf.test; spf=pass smtp.mailfrom=a.martin@apeai34.fr
Received: from smtp.apeai34.fr (smtp.apeai34.fr [192.0.2.25])
	by mx.caf.test (Postfix) with ESMTPS id 4Xq7Lm2Z3c{n}
	for <balp@caf.test>; Tue, 17 Nov 2026 09:{n} +0100
From: "MARTIN, Anne" <a.martin@apeai34.fr>
To: "BALP Caf de l'Herault" <balp@caf.test>
Subject: {subject}
Date: Tue, 17 Nov 2026 09:{n} +0100
Message-ID: <content-{n}@apeai34.fr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_content_{n}"

"""

SUBJECT = "Transmission RIB - Mme N'GUESSAN Aya - NIR 2 87 06 34 172 058 73"
BODY = "Bonjour,\n\nVeuillez trouver ci-joint le RIB de Mme N'Guessan.\n\nCordialement,\nAnne Martin\n"

def read(name):
    with open(os.path.join(content, name), "rb") as f:
        return f.read()

def mail(n, parts, body=BODY, subject=SUBJECT):
    b = "=_content_%d" % n
    s = HEAD.replace("{n}", str(n)).replace("{subject}", subject)
    s += "--%s\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n" % (b, body)
    for ctype, fname, data in parts:
        enc = base64.encodebytes(data).decode()
        s += ("--%s\nContent-Type: %s; name=\"%s\"\nContent-Disposition: attachment; "
              "filename=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s\n") % (b, ctype, fname, fname, enc)
    s += "--%s--\n" % b
    return s.encode()

uu = read("uuencoded.txt").decode()
cases_def = [
    (100, "exe-nomme-rib-pdf", [("application/pdf", "rib.pdf", read("program.exe"))], BODY),
    (101, "zip-nomme-jpg", [("image/jpeg", "IMG_20261117_0912.jpg", read("archive.zip"))], BODY),
    (102, "exe-uuencode-dans-le-corps", [("application/pdf", "RIB.pdf", read("clean.pdf"))],
     BODY + "\n" + uu[uu.index("begin"):]),
    (103, "pdf-javascript", [("application/pdf", "RIB.pdf", read("js.pdf"))], BODY),
    (104, "pdf-javascript-flux-objets", [("application/pdf", "RIB.pdf", read("js-objstm.pdf"))], BODY),
    (105, "pdf-javascript-nom-hexa", [("application/pdf", "RIB.pdf", read("js-hex.pdf"))], BODY),
    (106, "docx-avec-macros", [("application/pdf", "RIB.pdf", read("clean.pdf")),
      ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       "attestation.docx", read("macro.docm"))], BODY),
    (107, "svg-avec-script", [("image/svg+xml", "rib.svg", read("script.svg"))], BODY),
    (108, "html-formulaire-connexion", [("application/pdf", "RIB.pdf", read("clean.pdf")),
      ("text/html", "connexion_caf.html", read("login.html"))], BODY),
    (109, "rib-pdf-octet-stream", [("application/octet-stream", "RIB.PDF", read("clean.pdf"))], BODY),
    (110, "rib-jpeg", [("image/jpeg", "IMG_20261117_0915.jpg", read("clean.jpg"))], BODY),
    (111, "rib-png-et-docx-propre", [("image/png", "capture RIB.png", read("clean.png")),
      ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
       "attestation.docx", read("clean.docx"))], BODY),
    (112, "rib-pdf-flux-objets-propre", [("application/pdf", "RIB.pdf", read("clean-objstm.pdf"))], BODY),
    (113, "rib-pdf-qui-n-en-est-pas", [("application/pdf", "RIB.pdf", read("clean.txt"))], BODY),
    (114, "corps-begin-anodin", [("application/pdf", "RIB.pdf", read("clean.pdf"))],
     BODY + "\n" + read("clean.txt").decode()),
    (115, "doc-ole-avec-macros", [("application/pdf", "RIB.pdf", read("clean.pdf")),
      ("application/msword", "courrier.doc", read("macro.doc"))], BODY),
    (116, "winmail-dat-executable", [("application/ms-tnef", "winmail.dat",
      read("winmail-exe.dat"))], BODY),
    (117, "winmail-dat-propre", [("application/pdf", "RIB.pdf", read("clean.pdf")),
      ("application/ms-tnef", "winmail.dat", read("winmail-clean.dat"))], BODY),
]
for n, slug, parts, body in cases_def:
    with open(os.path.join(cases, "%d-%s.eml" % (n, slug)), "wb") as f:
        f.write(mail(n, parts, body))
