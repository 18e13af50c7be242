/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_sheet - libFuzzer target over the spreadsheet readers behind
 * annex_file_parse (sheet_xlsx.c, sheet_ods.c): the input's first byte
 * picks an entry, the rest is that entry's XML, put in a well-formed zip
 * (stored) beside fixed entries, so that mutations reach the XML
 * handlers rather than die in the zip's directory (fuzz_annex mutates the
 * whole files).  Any crash, leak or undefined behaviour fails `make
 * check`; a refused file must say why.  Seeds: the XML of the files of
 * tests/data/annex (tests/tools/check.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "balp/annex_file.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAIN	"xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/" \
		"2006/main\""

static const char WORKBOOK[] = "<workbook " MAIN " xmlns:r=\"http://"
    "schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<sheets><sheet name=\"a\" sheetId=\"1\" r:id=\"rId1\"/></sheets>"
    "</workbook>";
static const char RELS[] = "<Relationships xmlns=\"http://schemas."
    "openxmlformats.org/package/2006/relationships\"><Relationship "
    "Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
static const char SST[] = "<sst " MAIN "><si><t>nom</t></si><si><t>prenom"
    "</t></si><si><t>email</t></si><si><t>date_habilitation</t></si>"
    "<si><t>MARTIN</t></si><si><t>a.martin@apeai34.fr</t></si></sst>";
static const char STYLES[] = "<styleSheet " MAIN "><numFmts><numFmt "
    "numFmtId=\"165\" formatCode=\"dd/mm/yyyy\"/></numFmts><cellXfs>"
    "<xf numFmtId=\"0\"/><xf numFmtId=\"165\"/><xf numFmtId=\"14\"/>"
    "</cellXfs></styleSheet>";
static const char SHEET[] = "<worksheet " MAIN "><sheetData><row r=\"1\">"
    "<c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
    "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\"><v>3</v></c></row>"
    "<row r=\"2\"><c r=\"A2\" t=\"s\"><v>4</v></c><c r=\"B2\" s=\"2\">"
    "<v>1</v></c><c r=\"C2\" t=\"s\"><v>5</v></c><c r=\"D2\" s=\"1\">"
    "<v>46027</v></c></row></sheetData></worksheet>";
static const char ODS_MIME[] = "application/vnd.oasis.opendocument."
    "spreadsheet";

static void
le(struct buf *b, uint32_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		buf_putc(b, (char)(v >> (8 * i) & 0xff));
}

/* One stored entry: its local header and data in z, its central one in cd. */
static void
add(struct buf *z, struct buf *cd, unsigned *n, const char *name,
    const void *data, size_t len)
{
	uint32_t off = (uint32_t)z->len, nl = (uint32_t)strlen(name);

	le(z, 0x04034b50, 4);
	le(z, 20, 2); le(z, 0, 2); le(z, 0, 2);		/* version flags method */
	le(z, 0, 4); le(z, 0, 4);			/* time date, crc */
	le(z, (uint32_t)len, 4); le(z, (uint32_t)len, 4);
	le(z, nl, 2); le(z, 0, 2);
	buf_add(z, name, nl);
	buf_add(z, data, len);
	le(cd, 0x02014b50, 4);
	le(cd, 20, 2); le(cd, 20, 2); le(cd, 0, 2); le(cd, 0, 2);
	le(cd, 0, 4); le(cd, 0, 4);
	le(cd, (uint32_t)len, 4); le(cd, (uint32_t)len, 4);
	le(cd, nl, 2); le(cd, 0, 2); le(cd, 0, 2);	/* name extra comment */
	le(cd, 0, 2); le(cd, 0, 2); le(cd, 0, 4);	/* disk, attributes */
	le(cd, off, 4);
	buf_add(cd, name, nl);
	(*n)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct annex_rows rows = { NULL, 0, "", NULL };
	struct buf z = BUF_INIT, cd = BUF_INIT, errors = BUF_INIT;
	const char *xml;
	size_t len;
	unsigned n = 0, mode;
	uint32_t cd_off;
	int r;

	if (size < 1)
		return 0;
	mode = data[0] % 4;
	xml = (const char *)data + 1;
	len = size - 1;
	if (mode == 3) {
		add(&z, &cd, &n, "mimetype", ODS_MIME, sizeof(ODS_MIME) - 1);
		add(&z, &cd, &n, "content.xml", xml, len);
	} else {
		add(&z, &cd, &n, "xl/workbook.xml", WORKBOOK,
		    sizeof(WORKBOOK) - 1);
		add(&z, &cd, &n, "xl/_rels/workbook.xml.rels", RELS,
		    sizeof(RELS) - 1);
		add(&z, &cd, &n, "xl/sharedStrings.xml", mode == 1 ? xml : SST,
		    mode == 1 ? len : sizeof(SST) - 1);
		add(&z, &cd, &n, "xl/styles.xml", mode == 2 ? xml : STYLES,
		    mode == 2 ? len : sizeof(STYLES) - 1);
		add(&z, &cd, &n, "xl/worksheets/sheet1.xml",
		    mode == 0 ? xml : SHEET, mode == 0 ? len :
		    sizeof(SHEET) - 1);
	}
	cd_off = (uint32_t)z.len;
	buf_add(&z, cd.data, cd.len);
	le(&z, 0x06054b50, 4);
	le(&z, 0, 2); le(&z, 0, 2); le(&z, n, 2); le(&z, n, 2);
	le(&z, (uint32_t)cd.len, 4); le(&z, cd_off, 4); le(&z, 0, 2);
	if (z.failed)
		abort();
	r = annex_file_parse(z.data, z.len, &rows, &errors);
	if (r == -1 && errors.len == 0)
		abort();
	if (r == 0 && errors.len != 0)
		abort();
	annex_rows_free(&rows);
	buf_free(&z);
	buf_free(&cd);
	buf_free(&errors);
	return 0;
}
