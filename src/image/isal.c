/*
 * Raw deflate inflating with Intel ISA-L's igzip (native builds with the
 * `isal` feature; see src/image/isal.rs and build.rs).
 *
 * The shim keeps `struct inflate_state` (its layout is ISA-L's and changes
 * between releases) on the C side: Rust sees an opaque pointer and passes
 * plain pointers and lengths. The gzip header and trailer are read in Rust,
 * so ISA-L runs with crc_flag ISAL_DEFLATE: no wrapper, no checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

struct inflate_state *layerkit_isal_new(void)
{
	struct inflate_state *s = malloc(sizeof *s);
	if (s == NULL)
		return NULL;
	isal_inflate_init(s);
	s->crc_flag = ISAL_DEFLATE;
	return s;
}

void layerkit_isal_free(struct inflate_state *s)
{
	free(s);
}

/* Ready for the next deflate stream (the next gzip member). */
void layerkit_isal_reset(struct inflate_state *s)
{
	isal_inflate_reset(s);
	s->crc_flag = ISAL_DEFLATE;
}

/*
 * One inflate call: takes input from in[0..in_len), writes output to
 * out[0..out_len); *used and *wrote say how much of each, also when the
 * data is corrupt (what was decoded before the error is in out).
 *
 * Returns 0 when more input is wanted or the output is full, 1 when the
 * deflate stream ended and all its output was written, or ISA-L's negative
 * error code (ISAL_INVALID_BLOCK, _SYMBOL, _LOOKBACK).
 */
int layerkit_isal_inflate(struct inflate_state *s, const uint8_t *in, size_t in_len,
			  uint8_t *out, size_t out_len, size_t *used, size_t *wrote)
{
	uint32_t in_avail = in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)in_len;
	uint32_t out_avail = out_len > UINT32_MAX ? UINT32_MAX : (uint32_t)out_len;
	int ret;

	/* ISA-L only reads through next_in; the cast drops a const it lacks. */
	s->next_in = (uint8_t *)in;
	s->avail_in = in_avail;
	s->next_out = out;
	s->avail_out = out_avail;
	ret = isal_inflate(s);
	*used = in_avail - s->avail_in;
	*wrote = out_avail - s->avail_out;
	s->next_in = NULL;
	s->avail_in = 0;
	s->next_out = NULL;
	s->avail_out = 0;
	if (ret < 0)
		return ret;
	return s->block_state == ISAL_BLOCK_FINISH ? 1 : 0;
}

/*
 * After the stream ended: ISA-L reads its input 8 bytes at a time, so the
 * bytes after the deflate stream (the gzip trailer, the next member) may
 * have been taken already. Copies them to tail[0..8) and returns how many
 * (they count in earlier *used); the caller reads them again.
 */
size_t layerkit_isal_unread(struct inflate_state *s, uint8_t tail[8])
{
	/* The low read_in_length % 8 bits are the last byte's padding. */
	uint32_t bits = s->read_in_length > 0 ? (uint32_t)s->read_in_length : 0;
	size_t n = bits / 8;
	uint64_t rest = bits % 8 == 0 ? s->read_in : s->read_in >> (bits % 8);
	size_t i;

	if (n > 8)
		n = 8;
	for (i = 0; i < n; i++)
		tail[i] = (uint8_t)(rest >> (8 * i));
	s->read_in = 0;
	s->read_in_length = 0;
	return n;
}
