/* SPDX-License-Identifier: Apache-2.0 */
/*
 * content_pdf_crypt - opening an encrypted PDF with the empty user
 * password (see content_priv.h).
 *
 * A PDF "protected" by an owner password only (printing or copying
 * restricted) opens in every reader without asking: its user password is
 * empty.  Its strings and streams are encrypted all the same, object
 * streams included, so its dictionaries inside them cannot be judged
 * unless the file is decrypted as a reader does.  This does it for the
 * Standard security handler (PDF 32000-1 7.6.3, -2 7.6.4): revisions 2
 * to 4 (RC4 40 to 128 bits, AES-128) and 5, 6 (AES-256); a file whose
 * user password is not empty, or any other handler, stays unreadable
 * (CONTENT_ENCRYPTED: the partner is asked for it without a password).
 *
 * Crypto is nettle's (already under gnutls): pure functions on buffers,
 * no I/O, no state kept.  Every parse below is bounded by the buffer.
 * Ownership: pdf_crypt_stream() returns a malloc'd buffer; nothing else
 * is allocated.
 */
#include "content_priv.h"

#include <nettle/aes.h>
#include <nettle/arcfour.h>
#include <nettle/cbc.h>
#include <nettle/md5.h>
#include <nettle/sha2.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest string read from the dictionary (/O, /U: 32 or 48 bytes). */
#define CRYPT_STR_MAX	128
/* Bytes of an encryption dictionary read. */
#define CRYPT_DICT_MAX	((size_t)16 << 10)

static const unsigned char pad[32] = {
	0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E,
	0x56, 0xFF, 0xFA, 0x01, 0x08, 0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68,
	0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A
};

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' ||
	    c == '\0';
}

static int
is_delim(unsigned char c)
{
	return is_ws(c) || c == '/' || c == '<' || c == '>' || c == '[' ||
	    c == ']' || c == '(' || c == ')' || c == '{' || c == '}' ||
	    c == '%';
}

static size_t
skip_ws(const unsigned char *b, size_t n, size_t i)
{
	while (i < n && is_ws(b[i]))
		i++;
	return i;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/*
 * The string at b[i] ("(literal)" with its escapes and nested
 * parentheses, or "<hex>") into out (at most CRYPT_STR_MAX bytes, the
 * rest dropped); its end in *end.  -1 if there is none.
 */
static int
read_string(const unsigned char *b, size_t n, size_t i, unsigned char *out,
    size_t *outlen, size_t *end)
{
	size_t k = 0;
	int depth = 1, h, v, d;

	*outlen = 0;
	if (i >= n)
		return -1;
	if (b[i] == '<') {
		for (i++, h = -1; i < n && b[i] != '>'; i++) {
			if ((v = hexval(b[i])) < 0)
				continue;
			if (h < 0)
				h = v;
			else {
				if (k < CRYPT_STR_MAX)
					out[k++] = (unsigned char)(h << 4 | v);
				h = -1;
			}
		}
		if (h >= 0 && k < CRYPT_STR_MAX)
			out[k++] = (unsigned char)(h << 4);
		*outlen = k;
		*end = i < n ? i + 1 : n;
		return 0;
	}
	if (b[i] != '(')
		return -1;
	for (i++; i < n; i++) {
		v = b[i];
		if (v == '\\' && i + 1 < n) {
			v = b[++i];
			switch (v) {
			case 'n': v = '\n'; break;
			case 'r': v = '\r'; break;
			case 't': v = '\t'; break;
			case 'b': v = '\b'; break;
			case 'f': v = '\f'; break;
			case '\r':
				if (i + 1 < n && b[i + 1] == '\n')
					i++;
				continue;
			case '\n':
				continue;
			default:
				if (v >= '0' && v <= '7') {
					v -= '0';
					for (d = 1; d < 3 && i + 1 < n &&
					    b[i + 1] >= '0' && b[i + 1] <= '7';
					    d++)
						v = v * 8 + (b[++i] - '0');
					v &= 0xFF;
				}
			}
		} else if (v == '(')
			depth++;
		else if (v == ')' && --depth == 0)
			break;
		if (k < CRYPT_STR_MAX)
			out[k++] = (unsigned char)v;
	}
	*outlen = k;
	*end = i < n ? i + 1 : n;
	return 0;
}

/* Past the value at b[i] (a string, a dictionary, an array, a token). */
static size_t
skip_value(const unsigned char *b, size_t n, size_t i)
{
	unsigned char tmp[CRYPT_STR_MAX];
	size_t len, end;
	int depth = 0;

	do {
		i = skip_ws(b, n, i);
		if (i >= n)
			return n;
		if (b[i] == '(' || (b[i] == '<' && (i + 1 >= n ||
		    b[i + 1] != '<'))) {
			(void)read_string(b, n, i, tmp, &len, &end);
			i = end;
		} else if (b[i] == '<' || b[i] == '>') {
			depth += b[i] == '<' ? 1 : -1;
			i += 2;
		} else if (b[i] == '[' || b[i] == ']') {
			depth += b[i] == '[' ? 1 : -1;
			i++;
		} else if (b[i] == '/') {
			for (i++; i < n && !is_delim(b[i]); i++)
				;
		} else {
			for (i++; i < n && !is_delim(b[i]); i++)
				;
		}
	} while (depth > 0 && i < n);
	return i < n ? i : n;	/* "<<" or ">>" cut at the end */
}

/* The unsigned integer at b[i] (after blanks), -1 if none. */
static long long
read_int(const unsigned char *b, size_t n, size_t i, size_t *end)
{
	long long v = 0;
	size_t d = 0;
	int neg = 0;

	i = skip_ws(b, n, i);
	if (i < n && (b[i] == '-' || b[i] == '+'))
		neg = b[i++] == '-';
	for (; i < n && b[i] >= '0' && b[i] <= '9' && d < 12; i++, d++)
		v = v * 10 + (b[i] - '0');
	*end = i;
	if (d == 0 || d == 12)
		return -1;
	return neg ? -v : v;
}

/* Where the name /key (whole, not a prefix) is in b[from..n), or n. */
static size_t
find_name(const unsigned char *b, size_t n, size_t from, const char *key)
{
	const unsigned char *p;
	size_t k = strlen(key);

	while (from < n && (p = memmem(b + from, n - from, key, k)) != NULL) {
		from = (size_t)(p - b) + k;
		if (from >= n || is_delim(b[from]))
			return from;
	}
	return n;
}

/* Where the object "num gen obj" starts its value in b, or n. */
static size_t
find_object(const unsigned char *b, size_t n, long long num, long long gen)
{
	char pat[48];
	const unsigned char *p;
	size_t from = 0, k;
	int len;

	len = snprintf(pat, sizeof(pat), "%lld %lld obj", num, gen);
	if (len <= 0 || (size_t)len >= sizeof(pat))
		return n;
	k = (size_t)len;
	while (from < n && (p = memmem(b + from, n - from, pat, k)) != NULL) {
		from = (size_t)(p - b);
		if (from == 0 || is_delim(b[from - 1]))
			return from + k;
		from++;
	}
	return n;
}

struct crypt_dict {
	long long	 v, r, length, p;
	int		 standard, aes, encrypt_metadata;
	unsigned char	 o[CRYPT_STR_MAX], u[CRYPT_STR_MAX];
	unsigned char	 oe[CRYPT_STR_MAX], ue[CRYPT_STR_MAX];
	size_t		 olen, ulen, oelen, uelen;
};

/* Reads the encryption dictionary whose "<<" is at b[i]. */
static int
read_dict(const unsigned char *b, size_t n, size_t i, struct crypt_dict *d)
{
	char key[24];
	size_t end, k, stop;

	memset(d, 0, sizeof(*d));
	d->length = 40;
	d->encrypt_metadata = 1;
	i = skip_ws(b, n, i);
	if (n - i < 2 || b[i] != '<' || b[i + 1] != '<')
		return -1;
	stop = skip_value(b, n, i);
	if (stop - i > CRYPT_DICT_MAX)
		return -1;
	/* the crypt filters' methods, wherever they sit in /CF */
	d->aes = memmem(b + i, stop - i, "/AESV", 5) != NULL;
	for (i += 2; i < stop;) {
		i = skip_ws(b, stop, i);
		if (i >= stop || b[i] == '>')
			break;
		if (b[i] != '/')
			return -1;
		for (k = 0, i++; i < stop && !is_delim(b[i]) && k + 1 <
		    sizeof(key); i++)
			key[k++] = (char)b[i];
		key[k] = '\0';
		i = skip_ws(b, stop, i);
		if (strcmp(key, "Filter") == 0)
			d->standard = stop - i >= 9 &&
			    memcmp(b + i, "/Standard", 9) == 0;
		else if (strcmp(key, "V") == 0)
			d->v = read_int(b, stop, i, &end);
		else if (strcmp(key, "R") == 0)
			d->r = read_int(b, stop, i, &end);
		else if (strcmp(key, "Length") == 0)
			d->length = read_int(b, stop, i, &end);
		else if (strcmp(key, "P") == 0)
			d->p = read_int(b, stop, i, &end);
		else if (strcmp(key, "EncryptMetadata") == 0)
			d->encrypt_metadata = !(stop - i >= 5 &&
			    memcmp(b + i, "false", 5) == 0);
		else if (strcmp(key, "O") == 0)
			(void)read_string(b, stop, i, d->o, &d->olen, &end);
		else if (strcmp(key, "U") == 0)
			(void)read_string(b, stop, i, d->u, &d->ulen, &end);
		else if (strcmp(key, "OE") == 0)
			(void)read_string(b, stop, i, d->oe, &d->oelen, &end);
		else if (strcmp(key, "UE") == 0)
			(void)read_string(b, stop, i, d->ue, &d->uelen, &end);
		i = skip_value(b, stop, i);
	}
	return d->standard ? 0 : -1;
}

/*
 * Algorithm 2.B (ISO 32000-2 7.6.4.3.4) for the empty password, no user
 * data: R6's hash; R5's is its first SHA-256 alone.
 */
static void
hash_2b(const unsigned char *salt, int r6, unsigned char out[32])
{
	struct sha256_ctx s256;
	struct sha384_ctx s384;
	struct sha512_ctx s512;
	struct aes128_ctx aes;
	unsigned char k[64], k1[64 * 64], e[64 * 64], iv[16];
	size_t klen = 32, elen = 0, i, j;
	unsigned sum, round;

	sha256_init(&s256);
	sha256_update(&s256, 8, salt);
	sha256_digest(&s256, 32, k);
	for (round = 0; r6 && (round < 64 || e[elen - 1] > round - 32);
	    round++) {
		elen = 64 * klen;
		for (j = 0; j < 64; j++)
			memcpy(k1 + j * klen, k, klen);
		aes128_set_encrypt_key(&aes, k);
		memcpy(iv, k + 16, 16);
		cbc_encrypt(&aes, (nettle_cipher_func *)aes128_encrypt, 16, iv,
		    elen, e, k1);
		for (sum = 0, i = 0; i < 16; i++)
			sum += e[i];
		if (sum % 3 == 0) {
			sha256_init(&s256);
			sha256_update(&s256, elen, e);
			sha256_digest(&s256, 32, k);
			klen = 32;
		} else if (sum % 3 == 1) {
			sha384_init(&s384);
			sha384_update(&s384, elen, e);
			sha384_digest(&s384, 48, k);
			klen = 48;
		} else {
			sha512_init(&s512);
			sha512_update(&s512, elen, e);
			sha512_digest(&s512, 64, k);
			klen = 64;
		}
	}
	memcpy(out, k, 32);
}

/* R5, R6: the file key, if the empty user password is the password. */
static int
open_aes256(const struct crypt_dict *d, struct pdf_crypt *c)
{
	struct aes256_ctx aes;
	unsigned char h[32], iv[16];

	if (d->ulen < 48 || d->uelen < 32)
		return 0;
	hash_2b(d->u + 32, d->r == 6, h);	/* validation salt */
	if (memcmp(h, d->u, 32) != 0)
		return 0;
	hash_2b(d->u + 40, d->r == 6, h);	/* key salt */
	aes256_set_decrypt_key(&aes, h);
	memset(iv, 0, sizeof(iv));
	cbc_decrypt(&aes, (nettle_cipher_func *)aes256_decrypt, 16, iv, 32,
	    c->key, d->ue);
	c->keylen = 32;
	c->aes = 1;
	c->r = (int)d->r;
	return 1;
}

/* R2 to R4: the file key (algorithm 2), checked against /U (4, 5). */
static int
open_rc4_md5(const struct crypt_dict *d, const unsigned char *id,
    size_t idlen, struct pdf_crypt *c)
{
	struct md5_ctx md5;
	struct arcfour_ctx rc4;
	unsigned char key[16], k[16], x[32], p[4];
	uint32_t pv;
	size_t n, i, j;

	n = d->r == 2 ? 5 : (size_t)d->length / 8;
	if (n < 5 || n > 16 || d->olen < 32 || d->ulen < 32)
		return 0;
	md5_init(&md5);
	md5_update(&md5, 32, pad);
	md5_update(&md5, 32, d->o);
	pv = (uint32_t)d->p;	/* a negative 32-bit integer, as stored */
	p[0] = (unsigned char)pv;
	p[1] = (unsigned char)(pv >> 8);
	p[2] = (unsigned char)(pv >> 16);
	p[3] = (unsigned char)(pv >> 24);
	md5_update(&md5, 4, p);
	md5_update(&md5, idlen, id);
	if (d->r >= 4 && !d->encrypt_metadata)
		md5_update(&md5, 4, (const uint8_t *)"\xff\xff\xff\xff");
	md5_digest(&md5, 16, key);
	for (i = 0; d->r >= 3 && i < 50; i++) {
		md5_init(&md5);
		md5_update(&md5, n, key);
		md5_digest(&md5, 16, key);
	}
	if (d->r == 2) {
		arcfour_set_key(&rc4, n, key);
		arcfour_crypt(&rc4, 32, x, pad);
		if (memcmp(x, d->u, 32) != 0)
			return 0;
	} else {
		md5_init(&md5);
		md5_update(&md5, 32, pad);
		md5_update(&md5, idlen, id);
		md5_digest(&md5, 16, x);
		for (i = 0; i < 20; i++) {
			for (j = 0; j < n; j++)
				k[j] = key[j] ^ (unsigned char)i;
			arcfour_set_key(&rc4, n, k);
			arcfour_crypt(&rc4, 16, x, x);
		}
		if (memcmp(x, d->u, 16) != 0)
			return 0;
	}
	memcpy(c->key, key, n);
	c->keylen = n;
	c->aes = d->r == 4 && d->aes;
	c->r = (int)d->r;
	return 1;
}

int
pdf_crypt_open(const unsigned char *b, size_t n, struct pdf_crypt *c)
{
	struct crypt_dict d;
	unsigned char id[CRYPT_STR_MAX];
	size_t i, end, idlen = 0;
	long long num, gen;

	memset(c, 0, sizeof(*c));
	/* /Encrypt: a dictionary, or a reference to one */
	if ((i = find_name(b, n, 0, "/Encrypt")) >= n)
		return 0;
	i = skip_ws(b, n, i);
	if (i < n && b[i] != '<') {
		num = read_int(b, n, i, &end);
		gen = read_int(b, n, end, &end);
		end = skip_ws(b, n, end);
		if (num < 0 || gen < 0 || end >= n || b[end] != 'R')
			return 0;
		if ((i = find_object(b, n, num, gen)) >= n)
			return 0;
	}
	if (read_dict(b, n, i, &d) == -1)
		return 0;
	if (d.r == 5 || d.r == 6)
		return open_aes256(&d, c);
	if (d.r < 2 || d.r > 4)
		return 0;
	/* the first string of the trailer's /ID */
	if ((i = find_name(b, n, 0, "/ID")) < n) {
		i = skip_ws(b, n, i);
		if (i < n && b[i] == '[')
			(void)read_string(b, n, skip_ws(b, n, i + 1), id,
			    &idlen, &end);
	}
	return open_rc4_md5(&d, id, idlen, c);
}

unsigned char *
pdf_crypt_stream(const struct pdf_crypt *c, unsigned long num,
    unsigned long gen, const unsigned char *s, size_t n, size_t *outlen)
{
	struct md5_ctx md5;
	struct arcfour_ctx rc4;
	struct aes128_ctx a128;
	struct aes256_ctx a256;
	unsigned char key[21], k[16], iv[16], *out;
	size_t klen, padn;

	*outlen = 0;
	if (c->r >= 5)
		klen = 32;	/* the file key itself */
	else {
		/* algorithm 1: the object's key */
		memcpy(key, c->key, c->keylen);
		key[c->keylen] = (unsigned char)num;
		key[c->keylen + 1] = (unsigned char)(num >> 8);
		key[c->keylen + 2] = (unsigned char)(num >> 16);
		key[c->keylen + 3] = (unsigned char)gen;
		key[c->keylen + 4] = (unsigned char)(gen >> 8);
		md5_init(&md5);
		md5_update(&md5, c->keylen + 5, key);
		if (c->aes)
			md5_update(&md5, 4, (const uint8_t *)"sAlT");
		md5_digest(&md5, 16, k);
		klen = c->keylen + 5 < 16 ? c->keylen + 5 : 16;
	}
	if (!c->aes) {
		if ((out = malloc(n > 0 ? n : 1)) == NULL)
			return NULL;
		arcfour_set_key(&rc4, klen, k);
		arcfour_crypt(&rc4, n, out, s);
		*outlen = n;
		return out;
	}
	/* AES-CBC: the IV first, PKCS#5 padding last */
	if (n < 32 || n % 16 != 0)
		return NULL;
	if ((out = malloc(n - 16)) == NULL)
		return NULL;
	memcpy(iv, s, 16);
	if (klen == 32) {
		aes256_set_decrypt_key(&a256, c->key);
		cbc_decrypt(&a256, (nettle_cipher_func *)aes256_decrypt, 16, iv,
		    n - 16, out, s + 16);
	} else {
		aes128_set_decrypt_key(&a128, k);
		cbc_decrypt(&a128, (nettle_cipher_func *)aes128_decrypt, 16, iv,
		    n - 16, out, s + 16);
	}
	padn = out[n - 17];
	*outlen = padn >= 1 && padn <= 16 ? n - 16 - padn : n - 16;
	return out;
}
