/* ordkey.h — order-preserving key encodings of typed values, range filters over them, and
 * ordered scans of entries whose keys may be longer than the store allows.  Used by typed
 * links (identity values) and indexes (indexed values).
 *
 * 1. Encoding.  cd_ordkey_put appends one value as bytes whose memcmp order is the value
 * order, and which are prefix-free (no encoding is a proper prefix of another), so the
 * concatenation of encodings of a tuple sorts tuples lexicographically.  Layout:
 *
 *   tag (1) | body
 *   STRING   0x10 | UTF-8 bytes, 0x00 written as 0x00 0xFF | 0x00 0x00
 *   BINARY   0x20 | bytes, the same escape and terminator
 *   BOOLEAN  0x30 | 0x00 false, 0x01 true
 *   NUMBER   0x40 | 0x02                                    zero (any spelling: 0, -0, 0e9)
 *                 | 0x03 | exponent | digit pairs | 0x00    positive
 *                 | 0x01 | the same bytes, each inverted    negative
 *   DATETIME 0x50 | milliseconds, int64 with the sign bit flipped, big-endian (8)
 *   missing  0xF0 (cd_ordkey_put_missing; nothing follows)
 *
 * So a VARIANT attribute orders by type first — STRING < BINARY < BOOLEAN < NUMBER <
 * DATETIME — then by value, and a missing value after every present value of any type.
 * A NUMBER is read as 0.d1d2...dk * 10^E with d1 and dk non-zero (leading and trailing zeros
 * dropped, so "1", "1.0", "10e-1" and "+0.1e1" encode identically): the exponent E is one
 * byte 0x80 + n followed by E in n big-endian bytes when E > 0, 0x80 when E = 0, and
 * 0x80 - n followed by (256^n - 1 - |E|) in n bytes when E < 0 (n minimal); the digits go
 * two per byte as 1 + 10*a + b (1..100; an odd last digit is paired with 0).  The order of
 * encodings agrees with cd_decimal_cmp (rules.h) on every pair of valid decimals.
 *
 * Compare encodings with cd_ordkey_cmp — memcmp, then length; there is no other comparator.
 *
 * 2. Ranges.  A TypedAttributeValueRange (semantics §6.4) becomes two points on the line of
 * encodings.  A point (B, after) sits just before every encoding that starts with B
 * (after = false) or just after all of them (after = true); so, over one value's encoding,
 * -inf = ("", before), +inf (LAST) = ("", after), v- = (enc v, before), v+ = (enc v, after),
 * M- (LAST_BEFORE_MISSING_VALUES) = (0xF0, before).  A value matches when it lies between
 * the start and the end point.  With exact values before it (typed-link filters), a range
 * is the same points behind those values' encodings.
 *
 * 3. Entries (cd_ordlayout).  An entry of a scannable set is (encoding, suffix, payload):
 * the encoding of a tuple, a fixed-size suffix that makes it unique (an object number), and
 * bytes of the caller's.  Keys are at most CD_KV_MAX_KEY (511) bytes, and encodings may be
 * longer (512-byte indexed values under limits = "aws", anything under "none"), so with
 * K = CD_KV_MAX_KEY - suffix_len - 2 and F = prefix | encoding:
 *
 *   short (len F <= K):  key = F | suffix                          value = payload
 *   long  (len F >  K):  key = F[0..K) | suffix | dup (2, BE)      value = len (4, BE) |
 *                                                                          F[K..] | payload
 *
 * A long entry's key is exactly CD_KV_MAX_KEY bytes and a short one's is shorter, so the
 * key length tells them apart.  dup numbers the long entries that share F[0..K) and the
 * suffix.  Since encodings under one prefix are prefix-free, a short key can never fall among
 * the long keys sharing one F[0..K) (a "group"), and memcmp order of keys is (encoding,
 * suffix) order everywhere except inside a group; the scan reads a group whole and sorts it
 * by (rest of the encoding, suffix).  K depends only on suffix_len, so a scan may move
 * leading bytes of the encoding into its prefix and still agrees with the writer.
 *
 * Rules for callers: every encoding stored under one prefix must be prefix-free with respect
 * to the others (tuples of one arity, or tuples whose first value fixes the arity); the
 * suffix length is fixed per prefix; the prefix is at least 1 byte and short enough to leave
 * at least 64 bytes of encoding in the key (CD_ORD_PREFIX_MAX for an 8-byte suffix).
 *
 * Cost: a scan seeks once and reads entries in order, stopping at the first one beyond the
 * end point; a short entry costs no allocation.  A group (entries whose prefix and encoding
 * agree on their first ~500 bytes) is read whole whenever a scan touches it. */
#ifndef CD_ORDKEY_H
#define CD_ORDKEY_H

#include <string.h>
#include "attribute.h"

/* ---------------------------------------------------------------- encodings */

#define CD_ORD_TAG_STRING   0x10
#define CD_ORD_TAG_BINARY   0x20
#define CD_ORD_TAG_BOOLEAN  0x30
#define CD_ORD_TAG_NUMBER   0x40
#define CD_ORD_TAG_DATETIME 0x50
#define CD_ORD_TAG_MISSING  0xF0

/* Appends the encoding of v.  false when out of memory, or when v is a NUMBER that is not a
 * valid decimal (cd_decimal_valid) or of no concrete type. */
bool cd_ordkey_put(cd_buf *b, const cd_attrval *v);
/* Appends the "missing value" slot: after every present value of any type. */
bool cd_ordkey_put_missing(cd_buf *b);

/* Order of two encodings (or of two concatenations of encodings): memcmp, then length. */
static inline int cd_ordkey_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    int r = memcmp(a, b, an < bn ? an : bn);
    return r ? r : (an < bn ? -1 : an > bn);
}

/* Length of the first encoding in p[0..n), 0 when it is malformed or cut short. */
size_t cd_ordkey_len(const void *p, size_t n);
/* Decodes the first encoding in p[0..n): *missing tells the missing slot apart (out is then
 * zeroed).  STRING/BINARY bytes and NUMBER text are made in the arena; a NUMBER comes back in
 * a canonical spelling ("1050", "-0.0012", "1.5e+40"), numerically equal to what was
 * encoded, not the same text.  Returns the length consumed, 0 when malformed or out of
 * memory. */
size_t cd_ordkey_get(cd_arena *a, const void *p, size_t n, cd_attrval *out, bool *missing);

/* ---------------------------------------------------------------- ranges */

typedef enum cd_rangemode {
    CD_RANGE_FIRST, CD_RANGE_LAST, CD_RANGE_LAST_BEFORE_MISSING, CD_RANGE_INCLUSIVE,
    CD_RANGE_EXCLUSIVE
} cd_rangemode;

/* A point between encodings: just before (after = false) or just after (after = true)
 * every encoding that starts with p[0..n). */
typedef struct cd_ordpoint {
    const unsigned char *p;
    size_t n;
    bool after;
} cd_ordpoint;

typedef struct cd_ordrange {
    cd_rangemode start_mode, end_mode;
    cd_attrval start, end;   /* the values of INCLUSIVE / EXCLUSIVE ends (zeroed otherwise) */
    cd_ordpoint lo, hi;      /* over one value's encoding; bytes in the arena */
} cd_ordrange;

/* Reads a TypedAttributeValueRange {StartMode, StartValue?, EndMode, EndValue?} for an
 * attribute of the given type (VARIANT: values of any type) and makes its points:
 *   start: FIRST -inf, INCLUSIVE v v-, EXCLUSIVE v v+, LAST_BEFORE_MISSING_VALUES M-, LAST +inf
 *   end:   FIRST -inf, INCLUSIVE v v+, EXCLUSIVE v v-, LAST_BEFORE_MISSING_VALUES M-, LAST +inf
 * For a required attribute (optional = false) LAST_BEFORE_MISSING_VALUES is LAST.
 * A value given with FIRST, LAST or LAST_BEFORE_MISSING_VALUES is ignored, unread.
 * ValidationException naming `what` when a mode is missing or unknown, when an INCLUSIVE or
 * EXCLUSIVE end has no value, when a value is not of the attribute's type or not a valid
 * value, and when the start point comes after the end point
 * ("EXCLUSIVE D .. INCLUSIVE D", "INCLUSIVE D .. EXCLUSIVE D", "EXCLUSIVE D .. EXCLUSIVE D",
 * "LAST .. x" for x other than LAST, "x .. FIRST" for x other than FIRST; for an optional
 * attribute also "LAST .. LAST_BEFORE_MISSING_VALUES").  A NumberValue that is not a
 * number is a ValidationException here too (a bad request, not a bad attribute value).
 * Ranges whose points coincide are valid and match nothing: FIRST .. FIRST, LAST .. LAST,
 * LAST_BEFORE_MISSING_VALUES .. LAST_BEFORE_MISSING_VALUES. */
int cd_ordrange_from(cd_ctx *c, const cd_value *range, cd_attr_type type, bool optional,
                     const char *what, cd_ordrange *out);
/* FIRST .. LAST: everything (what an attribute without a range gets). */
void cd_ordrange_full(cd_ordrange *out);
/* INCLUSIVE v .. INCLUSIVE v for one value (equal encodings: "1" .. "1.0" is exact too).
 * lo.p / lo.n are then the value's encoding, the bytes a filter puts in front of the next
 * attribute's range. */
bool cd_ordrange_is_exact(const cd_ordrange *r);
/* -inf .. +inf (FIRST .. LAST, or FIRST .. LAST_BEFORE_MISSING_VALUES of a required
 * attribute). */
bool cd_ordrange_is_full(const cd_ordrange *r);
/* Whether one encoding lies inside the range. */
bool cd_ordrange_contains(const cd_ordrange *r, const void *enc, size_t n);
/* Compares an encoding with a point: < 0 before it, > 0 after it (never 0). */
int cd_ordpoint_cmp(const void *enc, size_t n, const cd_ordpoint *pt);

/* ---------------------------------------------------------------- entries */

#define CD_ORD_DUP_LEN 2
#define CD_ORD_PREFIX_MAX (CD_KV_MAX_KEY - 8 - CD_ORD_DUP_LEN - 64)

typedef struct cd_ordlayout {
    const void *prefix;      /* every key of the set starts with these bytes */
    size_t prefix_len;
    size_t suffix_len;       /* bytes after the encoding in every key (e.g. 8: an oid) */
} cd_ordlayout;

/* The stored key and value of one entry (section 3 at the top), with the given dup number
 * (long entries only; short entries ignore it).  Appends to key and val; false when out of
 * memory or when the layout is unusable.  Writers normally call cd_ordentry_put, which
 * chooses dup. */
bool cd_ordkey_make(cd_buf *key, cd_buf *val, const cd_ordlayout *l, const void *enc,
                    size_t enc_len, const void *suffix, const void *payload, size_t payload_len,
                    unsigned dup);

/* Writes the entry (enc, suffix) -> payload in c->txn, replacing the payload of an existing
 * entry with the same encoding and suffix.  0 or an error (LimitExceededException when 65536
 * long entries already share this entry's key start and suffix). */
int cd_ordentry_put(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix, const void *payload, size_t payload_len);
/* The payload of the entry (enc, suffix): 0 and *payload (valid until the next write),
 * CD_KV_NOTFOUND, or an error.  payload may be NULL. */
int cd_ordentry_get(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix, cd_slice *payload);
/* Deletes the entry (enc, suffix): 0, CD_KV_NOTFOUND, or an error. */
int cd_ordentry_del(cd_ctx *c, const cd_ordlayout *l, const void *enc, size_t enc_len,
                    const void *suffix);

/* ---------------------------------------------------------------- scans */

/* One entry as a scan yields it.  enc excludes the scan's prefix (it includes the scan's
 * exact bytes).  Pointers are valid until the next cd_ordscan_next or the next write. */
typedef struct cd_ordentry {
    const unsigned char *enc;
    size_t enc_len;
    const unsigned char *suffix;   /* suffix_len bytes */
    const void *payload;
    size_t payload_len;
} cd_ordentry;

typedef struct cd_ordgroup_item cd_ordgroup_item;

/* A scan in progress.  Fill it with cd_ordscan_open; no clean-up is needed (everything is in
 * the arena or the caller's cursor). */
typedef struct cd_ordscan {
    cd_ctx *c;
    cd_cursor *cur;
    cd_ordlayout l;
    cd_ordpoint lo, hi;              /* over enc, i.e. after the prefix */
    const unsigned char *resume;     /* after this (enc, suffix), or NULL */
    size_t resume_len;
    const unsigned char *resume_suffix;
    bool past_start;                 /* every later entry is past lo and the resume point */
    bool done;
    bool have;                       /* k/v hold the cursor's current entry, not yet used */
    cd_slice k, v;
    cd_ordgroup_item *group;         /* the sorted long entries being yielded */
    size_t group_n, group_at, group_cap;
    cd_buf enc_buf;                  /* the encoding of the long entry last yielded */
} cd_ordscan;

/* Starts a scan of the entries of layout l whose encoding starts with exact[0..exact_len)
 * and whose remaining encoding lies in r (NULL: all of them), in (encoding, suffix) order,
 * after the entry (resume, resume_suffix) when resume is not NULL (resume is an encoding as
 * a scan of the same prefix yields it; the entry need not exist any more).  The scan moves
 * cursor cur (of c->txn), which it does not own.  Do not write to the store while the scan
 * is in use.  0 or an error. */
int cd_ordscan_open(cd_ctx *c, cd_ordscan *s, cd_cursor *cur, const cd_ordlayout *l,
                    const void *exact, size_t exact_len, const cd_ordrange *r,
                    const void *resume, size_t resume_len, const void *resume_suffix);
/* The next entry: 0 and *e, CD_KV_NOTFOUND at the end, or an error. */
int cd_ordscan_next(cd_ordscan *s, cd_ordentry *e);

#endif
