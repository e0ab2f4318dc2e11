"""Every threshold, weight and limit of fingerprinting and matching, documented once.

How a match is decided (see ``scan.py``): each line of a document is compared with the
records it shares a rare keyed value with. Every field of the record found in the line adds
*evidence*; the record is reported when the evidence adds up to ``MATCH_SCORE_THRESHOLD``
from at least ``MIN_EVIDENCE_FIELDS`` fields, or when a distinctive field is found and the
line's MinHash is close to the record's (typos).
"""

from __future__ import annotations

# --- The fingerprint file ------------------------------------------------------------------
FILE_MAGIC = b"LTFP"
FILE_VERSION = 2
# What the matching of today finds in a file, listed in its header ("features"), each with
# what a file built without it misses. A file that lacks one still loads (a crawl host may
# hold only the file, not the dataset to rebuild from), with a one-line warning to rebuild.
FILE_FEATURES = {
    "name_forms": "names in another order or with initials (LAST, First; J. Garcia)",
}
# The dataset id, random per build, in bytes (32 hex digits): matches carry it, so that a
# store never mixes matches of two datasets' fingerprints.
DATASET_ID_BYTES = 16
# Every array of a fingerprint file up to this size is checked against its digest on load
# (a few hundred ms at most); a larger file has its header, its record ids and its small
# arrays checked on load, and the rest by ``FingerprintSet.verify`` (a 10M-record file is
# gigabytes: reading it all would cost the constant-time load the mapped format gives).
FILE_VERIFY_ON_LOAD_MAX_BYTES = 256 * 2**20
KEY_BYTES = 32  # secret key for keyed BLAKE2b; 256 bits as BLAKE2b's key allows up to 64 bytes

# --- What kind of column is it (learned from the data) --------------------------------------
# A column is *distinctive* when at least this share of its rows hold a value no other row
# holds (names, ids, dates of birth); otherwise it is *common* (status, facility, country).
# Unique-share rather than distinct-count ratio: 100 facilities over 300 rows still give a
# ratio of 0.3, but only ~5% of rows hold a facility nobody else has.
DISTINCTIVE_MIN_UNIQUE_SHARE = 0.5
# ...or when its values carry at least this many bits (entropy): in a million records every
# birth date is shared by ~45 people, yet a date still says 14 bits about who it is; a
# facility (100: 6.6 bits) or a nationality never gets there.
DISTINCTIVE_MIN_BITS = 12.0
# A distinctive column is an id column / date column when this share of its values carry an
# id-like number / a date; else it is text (names, addresses).
KIND_MIN_SHARE = 0.8
# A digit run this long (separators removed) is an id-like number: A-123-456-789 -> 123456789.
MIN_ID_DIGITS = 6
# Dates are read as years in this range only, so that most id numbers never read as dates.
DATE_MIN_YEAR = 1900
DATE_MAX_YEAR = 2099

# --- Evidence weights -----------------------------------------------------------------------
# Fixed weights per distinctive kind; an id number is close to proof, a full name is not
# (common-name lists), a date of birth coincides by chance in a large same-schema list.
WEIGHT_ID = 1.0
WEIGHT_TEXT = 0.6
WEIGHT_DATE = 0.4
# An id number one digit off the record's (substituted, inserted, deleted or two adjacent
# swapped: the two share a one-digit deletion) is a typo'd copy of it: random 9-digit numbers
# are one digit apart by chance about once in 10 million pairs. Weaker than the id itself, so
# that with the common fields (0.45) alone it stays below the threshold; with a date of birth
# or a partly typo'd name it makes a row whose every distinctive field has a typo match.
WEIGHT_ID_TYPO = 0.5
# A value shared by df records is weaker: weight * df ** -RARITY_EXPONENT.
RARITY_EXPONENT = 0.5
# Name tokens found without the whole value (typo, reordering) share this part of the value's
# weight between them (a value of n tokens gives each token weight * factor / n).
TOKEN_PARTIAL_FACTOR = 0.8
# Common fields weigh their self-information, log2(records / df) bits, at this rate: a
# facility among 100 (~6.6 bits) -> 0.27, one of 5 statuses (~2.3 bits) -> 0.09.
COMMON_WEIGHT_PER_BIT = 0.04
# ...and all common fields of a line together never weigh more than this, so that common
# fields alone (a list of the same facilities) can never reach the threshold.
COMMON_WEIGHT_CAP = 0.45

# --- The decision ---------------------------------------------------------------------------
# Full name (0.6) + date of birth (0.4) = 1.0 matches; full name + nationality does not;
# date of birth + facility + status + nationality (0.4 + 0.45) does not. Every line needs
# evidence from at least MIN_EVIDENCE_FIELDS fields:
MATCH_SCORE_THRESHOLD = 1.0
MIN_EVIDENCE_FIELDS = 2
# ...of which the distinctive fields must bring this much: common fields only corroborate.
# A full name (0.6) with the same facility, status and nationality is what a namesake in
# the same facility looks like (Faker's Vietnamese names repeat after a few hundred people).
MIN_DISTINCTIVE_SCORE = 0.75
# Taken off the score of a record when the line holds an id-like number (not a date) and
# the dataset has an id column, but the record's id is not in the line, nor one digit off it
# (WEIGHT_ID_TYPO): name + birth date (1.0) with someone else's A-number does not match.
OTHER_ID_PENALTY = 0.2
# The MinHash rescue below is only tried for lines where this many distinctive fields were
# (partly) found with this score at least: with sets of ~5 shingles, a 32-permutation
# MinHash alone cannot tell a typo'd row from a namesake born the same day.
RESCUE_MIN_DISTINCTIVE_FIELDS = 2
RESCUE_MIN_SCORE = 0.7
# A line that carries a distinctive field of the record and contains this share of the
# record's distinctive shingles (name tokens, id number, date; estimated from the MinHash
# Jaccard and the set sizes) matches even below the score threshold (typo'd rows).
MINHASH_RESCUE_CONTAINMENT = 0.7
# A line of at most ROW_MAX_TOKENS tokens is one row, so one record: of the records it
# matches, those scoring below ROW_RIVAL_SCORE_RATIO x the best are dropped (two records
# sharing name and birth date; the A-number in the line says which one it is).
ROW_MAX_TOKENS = 40
ROW_RIVAL_SCORE_RATIO = 0.6
# Names in other forms (``build.EntryBuilder.add_name_forms``): a name of 2 to this many
# tokens is also keyed order-free, and with its first or last tokens as initials. Found when
# the tokens of the record's name found in a record-sized line (at most ROW_MAX_TOKENS) are
# exactly those of one form: all of them, in any order and even split by labels, count as
# the whole name; an abbreviated form ("J. Garcia") weighs WEIGHT_ABBREVIATED_NAME (before
# rarity), enough with a date of birth and a common field, or an id number, never with
# common fields alone, and it is never one of the two whole values that match on their own.
NAME_FORM_MAX_TOKENS = 5
WEIGHT_ABBREVIATED_NAME = 0.6
# An abbreviated name shared by several records (``J. Sezer``: a common surname) weighs less
# and less by rarity, so with a birth date it never adds up. It matches when the line also
# holds the record's whole date of birth and common fields weighing at least
# INITIALS_WITH_DATE_MIN_COMMON_WEIGHT (a nationality of a dozen, or a facility), as long as
# the form is shared by at most INITIALS_WITH_DATE_MAX_DF records: another person written
# so is born on the same day as one of them about once in 25,000 / 50 = 500 (birth dates
# spread over ~70 years), and must then also share the common field.
INITIALS_WITH_DATE_MAX_DF = 50
INITIALS_WITH_DATE_MIN_COMMON_WEIGHT = 0.1
# ...so the weight of an abbreviated name form shared by INITIALS_WITH_DATE_MAX_DF records,
# the least that rule takes (less a rounding margin: the weights are float32, summed in float64):
MIN_INITIALS_WEIGHT = WEIGHT_ABBREVIATED_NAME * INITIALS_WITH_DATE_MAX_DF**-RARITY_EXPONENT * (1 - 1e-6)
# OCR misreads a letter of a name (Asuncién, Burg for Burç, Ababeil): in lines read by OCR,
# a record whose name is found but for one token, with its whole date of birth or id number,
# has the line's other words of at least OCR_REPAIR_MIN_LETTERS letters tried one letter
# away (``normalize.one_letter_edits``); one that is the missing token makes the name whole
# (two whole values: a match). Typed text never gets this: there a name one letter off is
# another person's (Mario and Maria, twins born the same day). At most
# OCR_REPAIR_MAX_PAIRS (line, record) pairs a document are tried (~400 keyed hashes a word).
OCR_REPAIR_MIN_LETTERS = 4
OCR_REPAIR_MAX_PAIRS = 200
# The least evidence a name found only in part (its tokens) and a date of birth must bring
# for any rule to take a line without an id number: the MinHash rescue's score with the
# common fields at their cap (the score rule asks MIN_DISTINCTIVE_SCORE of them, more). Less
# a margin for float32 weights summed in float64. ``first_pass.DateWordTest`` drops a line
# whose only numbers are dates when no record born on one of them can reach it (nor hold its
# name whole or abbreviated there): ordinary text naming people beside a date.
MIN_PARTIAL_NAME_AND_DATE = min(MIN_DISTINCTIVE_SCORE, RESCUE_MIN_SCORE - COMMON_WEIGHT_CAP) - 1e-6
# Confidence of a match: score / this, capped at 1 (a verbatim row scores ~2).
CONFIDENT_SCORE = 2.0

# --- Candidates and the prefilter -----------------------------------------------------------
# These limits are counts of records, the same at any dataset size: what a value tells about
# who a line is about is how many records share it, and what a lookup costs is how many
# records it proposes. (They grew with the dataset, to 0.005% of its records: at a million
# records every line holding a value shared by 50 was compared with 50 records, and a birth
# date shared by 51 was no longer looked for at all.)
#
# A keyed value shared by at most this many records proposes them as candidates on its own
# (a token of a longer value needs a second vote): a first name shared by 500 records would
# make every line a 500-way compare.
CANDIDATE_MAX_DF = 8
# A value shared by more records proposes only the records that a second value of the same
# line also proposes (``paired_keys``: a common name and a birth date shared by hundreds meet
# in the one record that has both), and only for lines that no rarer value placed; up to this
# many records per value, which bounds the cost of such a line (a sorted merge of the two
# lists). A birth date at 10 million records is shared by ~450, at 100 million by ~4,500.
PAIRED_MAX_DF = 8192
# The prefilter looks for name tokens held by at most this many records, and for every id
# number and date of birth of the dataset however many share it: dates come from a calendar
# (~37,000 days a century), so they are as rare in ordinary text at 100 million records as at
# 6,000, while a name token shared by many records is usually an ordinary word too ("rose").
# A name token shared by more counts beside a date (``scan.candidate_lines``: a line holding a
# birth date of the dataset and a word of the dataset, however common).
PREFILTER_MAX_DF = 8
# Lines that pass the prefilter but share no rare value with any record (a million-record
# dataset where the name and the birth date are each shared by dozens) get candidates from a
# MinHash LSH over the records' MinHashes (``minhash.py``): signatures of MINHASH_NUM_PERM
# values cut into bands of LSH_ROWS; a record agreeing with the line on a whole band is a
# candidate. 32 / 4 = 8 bands is what datasketch's MinHashLSH picks for a Jaccard threshold
# of 0.5 (LSH_JACCARD_THRESHOLD, equal weight on false positives and negatives). The band
# keys are sorted arrays in the fingerprint file, so the fallback works at any size. At most
# LSH_MAX_LINES lines per document are looked up (each costs a MinHash of the line).
LSH_JACCARD_THRESHOLD = 0.5
LSH_ROWS = 4
LSH_MAX_LINES = 2_000
# Multi-token values (names, facilities) are matched as runs of up to this many tokens (a
# longer value by its first ones); every line costs this many keys per token.
MAX_VALUE_TOKENS = 4
# Name tokens shorter than this (UTF-8 bytes) are not looked for by the prefilter: "a",
# "in", "le" are everywhere in text. (Two CJK characters are 6 bytes and do count.)
PREFILTER_MIN_TOKEN_BYTES = 3
# A document of more than this many distinct prefilter hits may be a leak or a name list:
# there a line with one hit is a candidate too (a row whose name and id are typo'd still
# shows its birth date), where hits are dense around it: at least PREFILTER_DENSE_MIN_LINES
# of the PREFILTER_DENSE_WINDOW_LINES lines before and after it have hits. In a leak nearly
# every line has one (an excerpt of three rows in a big page too); in a man page or a
# changelog, rare dataset tokens that are everyday words are scattered (on 40 MB of Debian's
# text this keeps 4,425 of 19,042 such lines; of the altered copies' 726, 675).
PREFILTER_FIND_MAX_CHUNKS = 16
PREFILTER_DENSE_WINDOW_LINES = 3
PREFILTER_DENSE_MIN_LINES = 2
# Memo of document chunk -> keys is dropped when it grows past this many entries.
CHUNK_MEMO_LIMIT = 2_000_000
# The compiled first pass remembers the prefilter strength of this many distinct chunks
# (~32 bytes each, 16 MB at most), then is dropped whole before the next document.
FIRST_PASS_MEMO_CHUNKS = 2**19

# --- Building (build.py, spill.py) ----------------------------------------------------------
# What a row costs while a chunk is analysed in a worker (its cells, the analyses, entries and
# shingles as Python objects): a 100,000-row chunk of the synthetic leak peaked at ~7.3 kB a
# row. The memory budget over this, over the chunks in flight, gives the rows per chunk, at
# most BUILD_MAX_CHUNK_ROWS (bigger chunks gain nothing once per-chunk costs are amortised).
BUILD_BYTES_PER_ROW = 8192
BUILD_MAX_CHUNK_ROWS = 50_000
# A budget below this is raised to it (chunks of a thousand rows, spill parts of 16 MB).
BUILD_MIN_MEMORY_BYTES = 64 * 2**20
# A spill part is sorted in memory with argsort and a copy of each column: about this many
# times its size; parts are sized so that this fits the budget. At most BUILD_MAX_PARTS parts
# (open files) per spill.
BUILD_SORT_OVERHEAD = 4
BUILD_MAX_PARTS = 256
# Nor is a part bigger than this, however big the budget: a part of 128 MiB sorts as fast per
# row as a bigger one, and a budget of a quarter of RAM (23 GiB here) made parts of ~300 MiB
# whose sorts (three parts in memory at once) took a 10M build to 4.6 GiB of RSS, where parts
# of this size keep it under ~2 GiB. (A budget smaller than this still makes smaller parts.)
BUILD_MAX_PART_BYTES = 128 * 2**20
# Entries handled at a time when the entries are read back (weights, tables): ~30 MB of arrays.
BUILD_BLOCK_ENTRIES = 1_000_000
# Distinct values of a column whose analysis is remembered between chunks (facilities and
# statuses repeat; names mostly do not).
BUILD_MEMO_VALUES = 200_000

# --- MinHash (datasketch, legacy scheme so that signatures can be computed vectorized) ------
MINHASH_NUM_PERM = 32
MINHASH_SEED = 1

# --- Containment --------------------------------------------------------------------------
# A document line "looks like a record" when it holds a tab or at least this many commas,
# semicolons or pipes (the denominator of containment; matched lines always count).
RECORD_LINE_MIN_SEPARATORS = 2

# --- Reading datasets ------------------------------------------------------------------------
# Rows sampled to learn how many cells a typical dataset row fills (title lines above a table
# fill fewer than half of that). Limits and thresholds of reading untrusted documents (sizes,
# ratios, members, nesting, encodings, table sniffing) live beside that code, in
# ``formats/limits.py``.
PREAMBLE_SAMPLE_ROWS = 200
# A delimited dataset is streamed: its encoding, delimiter and shape (title lines, header,
# width) are learnt from its first DATASET_HEAD_BYTES and first DATASET_SHAPE_ROWS rows.
DATASET_HEAD_BYTES = 1 * 2**20
DATASET_SHAPE_ROWS = 500
# A dataset is fingerprinted on at most this many columns: a person's record has a few dozen
# fields; thousands of columns are a mistake or an attack (a 5 MB one-line file of a million
# cells), refused with a message to choose columns. Error messages list this many names.
MAX_DATASET_COLUMNS = 1000
COLUMNS_LISTED = 30
