/*
 * Raw deflate inflating with Intel ISA-L's igzip (native builds with the
 * `isal` feature; see src/image/isal.rs and build.rs).
 *
 * The shim keeps `struct inflate_state` (its layout is ISA-L's and changes
 * between releases) on the C side: Rust sees an opaque pointer and passes
 * plain pointers and lengths. The gzip header and trailer are read in Rust,
 * so ISA-L runs with crc_flag ISAL_DEFLATE: no wrapper, no checksum.
 *
 * Two things ISA-L does that the caller must not see:
 *
 * - Its fast loop moves next_out past a match before it has decoded the
 *   match's distance, and past literals it writes speculatively; when the
 *   distance (or the next symbol) is invalid it returns the error with
 *   next_out there, counting bytes it never wrote. So every call starts
 *   from a copy of the state, and a call that fails is run again from that
 *   copy, its last bytes fed 7 at a time, which keeps ISA-L in its careful
 *   loop (it enters the fast one only with >= 8 bytes of input): the output
 *   is then exactly what precedes the bad symbol, whatever the chunking.
 *
 * - It reads input 8 bytes at a time, so when the deflate stream ends it
 *   may hold the bytes after it (the gzip trailer, the next member) in its
 *   bit buffer; releases from 2.32.1 on put them back by moving next_in
 *   back, possibly to before this call's input. Either way the shim hands
 *   them back through layerkit_isal_unread.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

/* Input handed to ISA-L per call. Far below 4 GiB: ISA-L 2.30 overflows its
 * header buffer when avail_in + buffered bytes wraps around 32 bits. */
#define MAX_CALL (1u << 30)
/* Input per call below which ISA-L stays in its careful loop. */
#define CAREFUL 7
/* Input before the point where an error was found that holds no part of
 * the bad symbol: a length/distance pair is at most 48 bits, and ISA-L
 * reads at most 8 bytes ahead. */
#define SAFE 64

struct layerkit_isal {
	struct inflate_state s;
	/* s as it was before the current call (up to its valid history). */
	struct inflate_state saved;
	/* The last bytes of input taken, oldest first. */
	uint8_t last[8];
	size_t last_len;
	/* Bytes after the ended stream that ISA-L gave back before the input
	 * of the call that ended it. */
	uint8_t back[8];
	size_t back_len;
};

/* The part of a state that matters: all but the unused tail of the
 * output buffer, which is its last member. */
static size_t state_size(const struct inflate_state *s)
{
	size_t valid = s->tmp_out_valid > 0 ? (size_t)s->tmp_out_valid : 0;
	if (valid > sizeof s->tmp_out_buffer)
		valid = sizeof s->tmp_out_buffer;
	return offsetof(struct inflate_state, tmp_out_buffer) + valid;
}

struct layerkit_isal *layerkit_isal_new(void)
{
	struct layerkit_isal *z = malloc(sizeof *z);
	if (z == NULL)
		return NULL;
	isal_inflate_init(&z->s);
	z->s.crc_flag = ISAL_DEFLATE;
	z->last_len = 0;
	z->back_len = 0;
	return z;
}

void layerkit_isal_free(struct layerkit_isal *z)
{
	free(z);
}

/* Ready for the next deflate stream (the next gzip member). */
void layerkit_isal_reset(struct layerkit_isal *z)
{
	isal_inflate_reset(&z->s);
	z->s.crc_flag = ISAL_DEFLATE;
	z->last_len = 0;
	z->back_len = 0;
}

/* One isal_inflate call on in[0..in_len) into out[0..out_len); adds what
 * it took and wrote to *used and *wrote (which may be negative for the
 * input, when ISA-L gives back bytes of earlier calls). */
static int run(struct inflate_state *s, const uint8_t *in, uint32_t in_len, uint8_t *out,
	       uint32_t out_len, long long *used, size_t *wrote)
{
	int ret;

	/* ISA-L only reads through next_in; the cast drops a const it lacks. */
	s->next_in = (uint8_t *)in;
	s->avail_in = in_len;
	s->next_out = out;
	s->avail_out = out_len;
	ret = isal_inflate(s);
	*used += (long long)in_len - (long long)s->avail_in;
	*wrote += out_len - s->avail_out;
	s->next_in = NULL;
	s->avail_in = 0;
	s->next_out = NULL;
	s->avail_out = 0;
	return ret;
}

/* Remembers in[0..n) as the latest input taken. */
static void took(struct layerkit_isal *z, const uint8_t *in, size_t n)
{
	if (n >= sizeof z->last) {
		memcpy(z->last, in + n - sizeof z->last, sizeof z->last);
		z->last_len = sizeof z->last;
		return;
	}
	if (z->last_len + n > sizeof z->last) {
		size_t drop = z->last_len + n - sizeof z->last;
		memmove(z->last, z->last + drop, z->last_len - drop);
		z->last_len -= drop;
	}
	memcpy(z->last + z->last_len, in, n);
	z->last_len += n;
}

/* Feeds in[*taken..in_avail) CAREFUL bytes at a time (see the top). */
static int careful(struct layerkit_isal *z, const uint8_t *in, uint32_t in_avail, uint8_t *out,
		   uint32_t out_avail, long long *taken, size_t *made)
{
	int idle = 0;
	int ret = 0;

	while (*taken >= 0 && (uint64_t)*taken < in_avail && *made < out_avail) {
		uint32_t pos = (uint32_t)*taken;
		uint32_t n = in_avail - pos < CAREFUL ? in_avail - pos : CAREFUL;
		long long before = *taken;
		size_t made_before = *made;
		ret = run(&z->s, in + pos, n, out + *made, out_avail - (uint32_t)*made, taken, made);
		if (ret < 0 || z->s.block_state == ISAL_BLOCK_FINISH)
			break;
		/* Bits ISA-L holds may still decode with no input taken. */
		idle = *taken == before && *made == made_before ? idle + 1 : 0;
		if (idle > 2)
			break;
	}
	return ret;
}

/*
 * One inflate step: takes input from in[0..in_len), writes output to
 * out[0..out_len); *used and *wrote say how much of each, also when the
 * data is corrupt (what was decoded before the bad symbol is in out).
 *
 * Returns 0 when more input is wanted or the output is full, 1 when the
 * deflate stream ended and all its output was written, or ISA-L's negative
 * error code (ISAL_INVALID_BLOCK, _SYMBOL, _LOOKBACK).
 */
int layerkit_isal_inflate(struct layerkit_isal *z, const uint8_t *in, size_t in_len,
			  uint8_t *out, size_t out_len, size_t *used, size_t *wrote)
{
	uint32_t in_avail = in_len > MAX_CALL ? MAX_CALL : (uint32_t)in_len;
	uint32_t out_avail = out_len > MAX_CALL ? MAX_CALL : (uint32_t)out_len;
	long long taken = 0;
	size_t made = 0;
	int ret;

	memcpy(&z->saved, &z->s, state_size(&z->s));
	ret = run(&z->s, in, in_avail, out, out_avail, &taken, &made);
	if (ret < 0) {
		/* Again from the copy (see the top of the file): fast up to
		 * well before where the error was found (the bad symbol and
		 * ISA-L's read-ahead span less than SAFE bytes), then
		 * carefully. */
		uint32_t found = taken <= 0 ? 0 : taken >= in_avail ? in_avail : (uint32_t)taken;
		memcpy(&z->s, &z->saved, state_size(&z->saved));
		taken = 0;
		made = 0;
		ret = 0;
		if (found > SAFE)
			ret = run(&z->s, in, found - SAFE, out, out_avail, &taken, &made);
		if (ret < 0) {
			memcpy(&z->s, &z->saved, state_size(&z->saved));
			taken = 0;
			made = 0;
		}
		if (z->s.block_state != ISAL_BLOCK_FINISH)
			ret = careful(z, in, in_avail, out, out_avail, &taken, &made);
	}
	if (taken < 0) {
		/* ISA-L gave back bytes from before this input: the stream
		 * ended in them. They are the last ones taken before. */
		size_t n = (size_t)-taken;
		if (n > z->last_len)
			n = z->last_len;
		memcpy(z->back, z->last + z->last_len - n, n);
		z->back_len = n;
		z->last_len -= n;
		taken = 0;
	}
	if ((uint64_t)taken > in_avail)
		taken = in_avail;
	took(z, in, (size_t)taken);
	*used = (size_t)taken;
	*wrote = made;
	if (ret < 0)
		return ret;
	return z->s.block_state == ISAL_BLOCK_FINISH ? 1 : 0;
}

/*
 * After the stream ended: the bytes after it that ISA-L took already
 * (counted in earlier *used). Copies them to tail[0..8) and returns how
 * many; the caller reads them again.
 */
size_t layerkit_isal_unread(struct layerkit_isal *z, uint8_t tail[8])
{
	struct inflate_state *s = &z->s;
	/* The low read_in_length % 8 bits are the last byte's padding. */
	uint32_t bits = s->read_in_length > 0 ? (uint32_t)s->read_in_length : 0;
	uint64_t rest = bits % 8 == 0 ? s->read_in : s->read_in >> (bits % 8);
	size_t n = z->back_len;
	size_t i;

	memcpy(tail, z->back, n);
	for (i = 0; i < bits / 8 && n < 8; i++)
		tail[n++] = (uint8_t)(rest >> (8 * i));
	s->read_in = 0;
	s->read_in_length = 0;
	z->back_len = 0;
	return n;
}
