#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Derives the hand-edited and the hostile spreadsheet annexes of
tests/data/annex/ from the ones LibreOffice wrote (see the README there).

Run once, from the repository's root, after the LibreOffice conversions:
    python3 tests/tools/gen_annex_sheets.py
Each edit is a plain text replacement in one XML entry, so that what the
readers are shown is what a spreadsheet program writes plus one thing;
the outputs are committed, this script says how they were made.
"""
import io
import os
import sys
import zipfile

D = os.path.join("tests", "data", "annex")


def entries(path):
    with zipfile.ZipFile(os.path.join(D, path)) as z:
        return [(i, z.read(i.filename)) for i in z.infolist()]


def write(path, items, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(os.path.join(D, path), "w") as z:
        for name, data in items:
            # An ODS's mimetype is stored, first (ODF 1.2 part 3, 3.3).
            m = zipfile.ZIP_STORED if name == "mimetype" else method
            z.writestr(zipfile.ZipInfo(name, (2026, 12, 7, 0, 0, 0)), data,
                       compress_type=m)


def edit(src, dst, changes, extra=()):
    out = []
    for info, data in entries(src):
        for name, old, new in changes:
            if info.filename == name:
                if old.encode() not in data:
                    sys.exit("%s: %s: %r not found" % (src, name, old))
                data = data.replace(old.encode(), new.encode(), 1)
        out.append((info.filename, data))
    out.extend(extra)
    write(dst, out)


SHEET = "xl/worksheets/sheet1.xml"

# Excel's way: the built-in date format 14 rather than a custom one; a
# shared string in rich-text runs with a phonetic reading (not the text);
# an inline string in runs; a merged range; styled empty trailing rows.
edit("good_semicolon_fr.xlsx", "edited_excel.xlsx", [
    ("xl/styles.xml", '<numFmt numFmtId="165" formatCode="mm/dd/yy"/>', ""),
    ("xl/styles.xml", '<xf numFmtId="165"', '<xf numFmtId="14"'),
    ("xl/sharedStrings.xml", "<si><t xml:space=\"preserve\">MARTIN</t></si>",
     "<si><r><rPr><b val=\"true\"/></rPr><t>MAR</t></r><r><t>TIN</t></r>"
     "<rPh sb=\"0\" eb=\"6\"><t>KANA</t></rPh></si>"),
    (SHEET, '<c r="B2" s="0" t="s"><v>7</v></c>',
     '<c r="B2" t="inlineStr"><is><r><t>An</t></r><r><rPr><i/></rPr>'
     '<t xml:space="preserve">ne</t></r></is></c>'),
    (SHEET, "</sheetData>",
     '<row r="5"><c r="A5" s="1"/><c r="B5" s="1"/></row>'
     '<row r="1048576"><c r="F1048576" s="0"/></row></sheetData>'
     '<mergeCells count="1"><mergeCell ref="G2:H3"/></mergeCells>'),
])

# A title merged over the columns, a custom date format with a locale,
# escaped spaces and a text section ("[$-40C]dd\ mmmm\ yyyy;@").
edit("sheet_title.xlsx", "edited_title.xlsx", [
    ("xl/styles.xml", 'formatCode="mm/dd/yy"',
     'formatCode="[$-40C]dd\\ mmmm\\ yyyy;@"'),
    (SHEET, "</sheetData>", "</sheetData><mergeCells count=\"2\">"
     "<mergeCell ref=\"A1:F1\"/><mergeCell ref=\"A2:F2\"/></mergeCells>"),
])

# LibreOffice's merged title (spanned, covered cells), a comment in a
# cell (not its text), a space written <text:s/>, and the empty rows and
# columns it repeats to the end of the sheet.
TITLE = ('<table:table-cell office:value-type="string" calcext:value-type='
         '"string"><text:p>Annexe BALP - personnes habilitées</text:p>'
         '</table:table-cell><table:table-cell table:number-columns-repeated'
         '="5"/>')
edit("sheet_title.ods", "edited_title.ods", [
    ("content.xml", TITLE,
     '<table:table-cell table:number-columns-spanned="6" table:number-rows-'
     'spanned="1" office:value-type="string" calcext:value-type="string">'
     '<text:p>Annexe BALP - personnes habilitées</text:p></table:table-cell>'
     '<table:covered-table-cell table:number-columns-repeated="5"/>'),
    ("content.xml", "<text:p>MARTIN</text:p>",
     "<office:annotation><dc:creator>X</dc:creator><text:p>à vérifier"
     "</text:p></office:annotation><text:p>MARTIN</text:p>"),
    ("content.xml", "<text:p>Assistante sociale</text:p>",
     "<text:p>Assistante<text:s/>sociale</text:p>"),
    ("content.xml", "</table:table>",
     '<table:table-row table:number-rows-repeated="1048569"><table:table-'
     'cell table:number-columns-repeated="16384"/></table:table-row>'
     "</table:table>"),
])

# Days counted from 1904 (old Mac Excel): the same numbers are 1,462 days
# later.
edit("good_semicolon_fr.xlsx", "edited_1904.xlsx", [
    ("xl/workbook.xml", 'date1904="false"', 'date1904="true"'),
])

# Dates typed as text (a column formatted as text, a formula's text), and
# a time of day that is not midnight (refused, as in a CSV).
edit("good_semicolon_fr.xlsx", "edited_text_dates.xlsx", [
    (SHEET, '<c r="E2" s="1" t="n"><v>46027</v></c>',
     '<c r="E2" t="inlineStr"><is><t>05/01/2026</t></is></c>'),
    (SHEET, '<c r="E3" s="1" t="n"><v>45731</v></c>',
     '<c r="E3" t="str"><f>TEXT(45731;"YYYY-MM-DD")</f><v>2025-03-15</v></c>'),
])
edit("good_semicolon_fr.xlsx", "edited_time.xlsx", [
    (SHEET, '<c r="E2" s="1" t="n"><v>46027</v></c>',
     '<c r="E2" s="1" t="n"><v>46027.5</v></c>'),
])

# ---- hostile ----------------------------------------------------------------

# A bomb: the sheet inflates to 64 MiB of spaces (1,000 times its size).
bomb = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxml'
        b'formats.org/spreadsheetml/2006/main"><sheetData>' +
        b" " * (64 << 20) + b"</sheetData></worksheet>")
items = [(i.filename, d) for i, d in entries("good_semicolon_fr.xlsx")
         if i.filename != SHEET]
write("hostile_bomb.xlsx", items + [(SHEET, bomb)],
      method=zipfile.ZIP_DEFLATED)

# Too many entries for a limit of 256 (the test's), 300 empty ones.
write("hostile_entries.xlsx",
      [(i.filename, d) for i, d in entries("good_semicolon_fr.xlsx")] +
      [("xl/media/x%03d.bin" % k, b"") for k in range(300)])

# A billion laughs in the workbook.
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
          b'<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">'
          b']><workbook xmlns="http://schemas.openxmlformats.org/'
          b'spreadsheetml/2006/main"><sheets><sheet name="&lol4;" sheetId="1"'
          b'/></sheets></workbook>')
write("hostile_laughs.xlsx",
      [(i.filename, LAUGHS if i.filename == "xl/workbook.xml" else d)
       for i, d in entries("good_semicolon_fr.xlsx")])

# An external entity in the content, naming a file of the host.
XXE = ('<!DOCTYPE office:document-content [<!ENTITY x SYSTEM '
       '"file:///etc/passwd">]>')
edit("good_semicolon_fr.ods", "hostile_xxe.ods", [
    ("content.xml", "<office:document-content", XXE +
     "<office:document-content"),
    ("content.xml", "<text:p>MARTIN</text:p>", "<text:p>&x;</text:p>"),
])

# A non-empty cell repeated a billion columns, and an empty one too.
edit("good_semicolon_fr.ods", "hostile_columns.ods", [
    ("content.xml", "<table:table-cell/></table:table-row>",
     '<table:table-cell table:number-columns-repeated="1000000000"/>'
     '</table:table-row>'),
    ("content.xml", '<table:table-cell office:value-type="string" '
     'calcext:value-type="string"><text:p>PETIT</text:p>',
     '<table:table-cell table:number-columns-repeated="1000000000" '
     'office:value-type="string" calcext:value-type="string">'
     '<text:p>PETIT</text:p>'),
])

# A non-empty row repeated a billion times.
edit("good_semicolon_fr.ods", "hostile_rows.ods", [
    ("content.xml", '<table:table-row table:style-name="ro1"><table:table-'
     'cell office:value-type="string" calcext:value-type="string"><text:p>'
     'PETIT', '<table:table-row table:style-name="ro1" table:number-rows-'
     'repeated="1000000000"><table:table-cell office:value-type="string" '
     'calcext:value-type="string"><text:p>PETIT'),
])

# Cut in the middle (a mail client's partial save); XML never closed;
# a cell pointing to a shared string that does not exist.
with open(os.path.join(D, "good_semicolon_fr.xlsx"), "rb") as f:
    whole = f.read()
with open(os.path.join(D, "hostile_truncated.xlsx"), "wb") as f:
    f.write(whole[:len(whole) // 2])
edit("good_semicolon_fr.xlsx", "hostile_malformed.xlsx", [
    (SHEET, "</sheetData>", "<row>"),
])
edit("good_semicolon_fr.xlsx", "hostile_sst.xlsx", [
    (SHEET, '<c r="C3" s="0" t="s"><v>12</v></c>',
     '<c r="C3" s="0" t="s"><v>99999</v></c>'),
])
