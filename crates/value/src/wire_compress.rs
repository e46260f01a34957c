//! DolphinDB's compressed vectors (type 26, DT_COMPRESS; protocol.md §5.13), as the official
//! SDKs write and read them when a request carries flag 64.
//!
//! A compressed vector is `[1A][01]`, a packed 28-byte header, then `byteSize - 20` bytes of
//! blocks, each `i32 blockSize` (the top bit marks a trailing LSN, unused on the wire) followed
//! by that many bytes:
//!
//! ```text
//! i32 byteSize (20 + all blocks), i32 colCount, i8 version, i8 flag (bit 0: little endian),
//! i8 charCode, i8 method (1 = LZ4, 2 = delta-of-delta), i8 dataType, i8 unitLength,
//! i16 reserved (decimal scale), i32 extra (decimal scale), i32 elementCount, i32 checkSum
//! ```
//!
//! Decompressed, the blocks give the bytes an uncompressed vector has after its `rows, cols`
//! (and the decimal scale, which the header carries): fixed-width elements, NUL-terminated
//! strings, or length-prefixed blobs. Every block inflates to at most 64 KiB.
//!
//! * LZ4: each block is one LZ4 block (the plain block format, no frame).
//! * Delta-of-delta (2, 4 or 8-byte integral and temporal types): each block holds up to
//!   64 KiB / unitLength elements as a bit stream in 64-bit words, most significant bit first.
//!   Leading nulls are `0` bits, then `1` + the first value (zigzag, unitLength*8 bits); more
//!   nulls as `0`, then `1` + the first delta (zigzag, unitLength*8 bits). Each later element is
//!   `0` (same delta), `10`+7, `110`+9, `1110`+16, `11110`+32 or `111110`+64 bits holding
//!   zigzag(delta of delta) - 1, or `111111` for a null. The block ends with `111110` and 64 one
//!   bits, then one zero bit; the block is every word touched, plus one when the end falls on a
//!   word boundary.
//!
//! Decoding allocates only what the input really inflates to, and at most
//! `DECOMPRESSED_BYTES_MAX` for one decoded object; nothing here panics on any input.

use crate::{Error, Result};

/// The packed header after the `[1A][01]` object header.
pub const HEADER_BYTES: usize = 28;
/// The part of the header that `byteSize` counts (all but `byteSize` and `colCount`).
const HEADER_COUNTED_BYTES: usize = 20;
/// Most bytes one block inflates to (the SDKs' MAX_DECOMPRESSED_SIZE).
pub const BLOCK_RAW_BYTES_MAX: usize = 1 << 16;
/// Most bytes of one LZ4 block: LZ4_compressBound(64 KiB).
pub const LZ4_BLOCK_BYTES_MAX: usize = BLOCK_RAW_BYTES_MAX + BLOCK_RAW_BYTES_MAX / 255 + 16;
/// Most bytes of one delta-of-delta block (the SDKs' maxCompressedSize_).
pub const DELTA_BLOCK_BYTES_MAX: usize = 1 << 17;
/// Most bytes that all compressed vectors of one decoded object may inflate to together.
pub const DECOMPRESSED_BYTES_MAX: usize = 1 << 31;
/// LZ4's largest ratio of inflated to compressed bytes (a match length byte covers 255).
const LZ4_EXPANSION_MAX: usize = 256;
/// The top bit of a block size: an 8-byte log sequence number follows the block.
const BLOCK_LSN_FLAG: u32 = 1 << 31;
/// Bits of a delta-of-delta per prefix length (`10`, `110`, `1110`, `11110`, `111110`).
const DELTA_WIDTHS: [u32; 5] = [7, 9, 16, 32, 64];

/// A compression method, with its code in the header.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Method {
    Lz4 = 1,
    Delta = 2,
}

impl Method {
    fn from_code(code: u8) -> Option<Method> {
        match code {
            1 => Some(Method::Lz4),
            2 => Some(Method::Delta),
            _ => None,
        }
    }
}

/// The 28-byte header of a compressed vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub byte_size: i32,
    pub col_count: i32,
    pub version: i8,
    pub flag: i8,
    pub char_code: i8,
    pub method: u8,
    pub data_type: u8,
    pub unit_length: i8,
    pub reserved: i16,
    pub extra: i32,
    pub element_count: i32,
    pub check_sum: i32,
}

fn i16_at(b: &[u8], le: bool) -> i16 {
    let a = [b[0], b[1]];
    if le {
        i16::from_le_bytes(a)
    } else {
        i16::from_be_bytes(a)
    }
}

fn i32_at(b: &[u8], le: bool) -> i32 {
    let a = [b[0], b[1], b[2], b[3]];
    if le {
        i32::from_le_bytes(a)
    } else {
        i32::from_be_bytes(a)
    }
}

fn put_i32(out: &mut Vec<u8>, x: i32, le: bool) {
    out.extend_from_slice(&if le { x.to_le_bytes() } else { x.to_be_bytes() });
}

impl Header {
    pub fn parse(b: &[u8; HEADER_BYTES], le: bool) -> Header {
        Header {
            byte_size: i32_at(&b[0..], le),
            col_count: i32_at(&b[4..], le),
            version: b[8] as i8,
            flag: b[9] as i8,
            char_code: b[10] as i8,
            method: b[11],
            data_type: b[12],
            unit_length: b[13] as i8,
            reserved: i16_at(&b[14..], le),
            extra: i32_at(&b[16..], le),
            element_count: i32_at(&b[20..], le),
            check_sum: i32_at(&b[24..], le),
        }
    }

    pub fn write(&self, out: &mut Vec<u8>, le: bool) {
        put_i32(out, self.byte_size, le);
        put_i32(out, self.col_count, le);
        out.extend_from_slice(&[
            self.version as u8,
            self.flag as u8,
            self.char_code as u8,
            self.method,
            self.data_type,
            self.unit_length as u8,
        ]);
        out.extend_from_slice(&if le {
            self.reserved.to_le_bytes()
        } else {
            self.reserved.to_be_bytes()
        });
        put_i32(out, self.extra, le);
        put_i32(out, self.element_count, le);
        put_i32(out, self.check_sum, le);
    }

    /// Bytes of blocks after the header, as `byteSize` says.
    pub fn region_bytes(&self) -> Result<usize> {
        usize::try_from(self.byte_size)
            .ok()
            .and_then(|n| n.checked_sub(HEADER_COUNTED_BYTES))
            .ok_or_else(|| Error::new(format!("Invalid compressed size {}", self.byte_size)))
    }
}

/// Inflates the blocks of a compressed vector (`region`, exactly `byteSize - 20` bytes) and
/// appends the raw element bytes to `out`. `budget` is what the decoded object may still inflate
/// to; it shrinks by what this vector takes. `width` is the element width of the header's data
/// type (needed by delta-of-delta only).
pub(crate) fn inflate(
    h: &Header,
    region: &[u8],
    width: Option<usize>,
    le: bool,
    budget: &mut usize,
    out: &mut Vec<u8>,
) -> Result<()> {
    let method = Method::from_code(h.method)
        .ok_or_else(|| Error::new(format!("Unsupported compression method {}", h.method as i8)))?;
    let elements = usize::try_from(h.element_count)
        .map_err(|_| Error::new(format!("Invalid element count {}", h.element_count)))?;
    let delta_width = match method {
        Method::Delta => Some(delta_width(h, width)?),
        Method::Lz4 => None,
    };
    let mut scratch = Vec::new();
    let mut decoded = 0usize;
    let mut pos = 0usize;
    while pos < region.len() {
        if delta_width.is_some() && decoded >= elements {
            break; // what the SDKs do: stop once every element is there
        }
        let (block, next) = next_block(region, pos, method, le)?;
        pos = next;
        let before = out.len();
        match delta_width {
            Some(w) => {
                let want = (BLOCK_RAW_BYTES_MAX / w).min(elements - decoded);
                let n = delta_decode_block(block, w, want, le, &mut scratch);
                charge(budget, n * w)?;
                write_values(&scratch[..n], w, le, out);
                decoded += n;
            }
            None => {
                // LZ4 inflates at most 255-fold (plus a little), so small blocks need less room.
                let room = block
                    .len()
                    .saturating_mul(LZ4_EXPANSION_MAX)
                    .saturating_add(64)
                    .min(BLOCK_RAW_BYTES_MAX);
                out.resize(before + room, 0);
                let n = lz4_flex::block::decompress_into(block, &mut out[before..]);
                let n =
                    n.map_err(|e| Error::new(format!("Failed to decompress an LZ4 block: {e}")))?;
                out.truncate(before + n);
                charge(budget, n)?;
            }
        }
        debug_assert!(out.len() - before <= BLOCK_RAW_BYTES_MAX);
    }
    Ok(())
}

/// The element width delta-of-delta works on: 2, 4 or 8, equal to the data type's width.
fn delta_width(h: &Header, width: Option<usize>) -> Result<usize> {
    let unit = h.unit_length as usize;
    match width {
        Some(w) if matches!(w, 2 | 4 | 8) && w == unit && h.unit_length > 0 => Ok(w),
        _ => Err(Error::new(format!(
            "Delta-of-delta compression does not apply to data type {} (unit length {})",
            h.data_type, h.unit_length
        ))),
    }
}

fn charge(budget: &mut usize, n: usize) -> Result<()> {
    *budget = budget.checked_sub(n).ok_or_else(|| {
        Error::new(format!(
            "A compressed object inflates to more than {DECOMPRESSED_BYTES_MAX} bytes"
        ))
    })?;
    Ok(())
}

/// The block at `pos` of `region` and the position after it (and after its LSN, if any).
fn next_block(region: &[u8], pos: usize, method: Method, le: bool) -> Result<(&[u8], usize)> {
    let truncated = || Error::new("A compressed vector's block runs past its compressed size");
    let size_bytes = region.get(pos..pos + 4).ok_or_else(truncated)?;
    let raw_size = i32_at(size_bytes, le) as u32;
    let has_lsn = raw_size & BLOCK_LSN_FLAG != 0;
    let size = (raw_size & !BLOCK_LSN_FLAG) as usize;
    let max = match method {
        Method::Lz4 => LZ4_BLOCK_BYTES_MAX,
        Method::Delta => DELTA_BLOCK_BYTES_MAX,
    };
    if size == 0 || size > max {
        return Err(Error::new(format!(
            "Invalid compressed block size {size} (at most {max})"
        )));
    }
    let start = pos + 4;
    let block = region.get(start..start + size).ok_or_else(truncated)?;
    let mut next = start + size;
    // The C++ reader skips an LSN only where one fits; so do we.
    if has_lsn && method == Method::Delta && next + 8 <= region.len() {
        next += 8;
    }
    Ok((block, next))
}

fn write_values(values: &[i64], width: usize, le: bool, out: &mut Vec<u8>) {
    for &v in values {
        let b = if le { v.to_le_bytes() } else { v.to_be_bytes() };
        if le {
            out.extend_from_slice(&b[..width]);
        } else {
            out.extend_from_slice(&b[8 - width..]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// Appends LZ4 blocks for `raw`, each inflating to at most 64 KiB. `cuts` are the element
/// boundaries of variable-width data (strings, blobs): a block ends on one whenever an element
/// fits; an element longer than a block is split. Fixed-width data passes `None` (64 KiB is a
/// multiple of every width). Returns the bytes appended.
pub(crate) fn deflate_lz4(
    raw: &[u8],
    cuts: Option<&[usize]>,
    le: bool,
    out: &mut Vec<u8>,
) -> usize {
    let start_len = out.len();
    let mut scratch = vec![0u8; lz4_flex::block::get_maximum_output_size(BLOCK_RAW_BYTES_MAX)];
    let mut start = 0usize;
    let mut cut_idx = 0usize;
    while start < raw.len() {
        let limit = (start + BLOCK_RAW_BYTES_MAX).min(raw.len());
        let end = match cuts {
            None => limit,
            Some(c) => {
                // The last boundary within the limit, or the limit when none is.
                while cut_idx < c.len() && c[cut_idx] <= start {
                    cut_idx += 1;
                }
                let mut best = None;
                while cut_idx < c.len() && c[cut_idx] <= limit {
                    best = Some(c[cut_idx]);
                    cut_idx += 1;
                }
                best.unwrap_or(limit)
            }
        };
        // compress_into only fails when the output is too small; it is sized for the worst case.
        let n = lz4_flex::block::compress_into(&raw[start..end], &mut scratch).unwrap_or(0);
        assert!(n > 0 && n <= LZ4_BLOCK_BYTES_MAX, "LZ4 block of {n} bytes");
        put_i32(out, n as i32, le);
        out.extend_from_slice(&scratch[..n]);
        start = end;
    }
    out.len() - start_len
}

/// Appends delta-of-delta blocks for `values` (sign-extended elements of `width` bytes, nulls
/// = MIN of that width). Returns the bytes appended, or None when some block would not read
/// back exactly (a value pattern that mimics the end marker), in which case `out` is unchanged.
pub(crate) fn deflate_delta(
    values: &[i64],
    width: usize,
    le: bool,
    out: &mut Vec<u8>,
) -> Option<usize> {
    assert!(matches!(width, 2 | 4 | 8));
    let start_len = out.len();
    let per_block = BLOCK_RAW_BYTES_MAX / width;
    let mut check = Vec::new();
    for chunk in values.chunks(per_block) {
        let words = delta_encode_block(chunk, width);
        let mut block = Vec::with_capacity(words.len() * 8);
        for w in &words {
            block.extend_from_slice(&if le { w.to_le_bytes() } else { w.to_be_bytes() });
        }
        let n = delta_decode_block(&block, width, chunk.len(), le, &mut check);
        if block.len() > DELTA_BLOCK_BYTES_MAX || n != chunk.len() || check[..n] != *chunk {
            out.truncate(start_len);
            return None;
        }
        put_i32(out, block.len() as i32, le);
        out.extend_from_slice(&block);
    }
    Some(out.len() - start_len)
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Sign-extends the low `bits` bits of `x`.
fn wrap(x: i64, bits: u32) -> i64 {
    let shift = 64 - bits;
    (x << shift) >> shift
}

fn null_of(bits: u32) -> i64 {
    wrap(1i64 << (bits - 1), bits)
}

fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

/// Bits written most significant first into 64-bit words.
struct BitWriter {
    words: Vec<u64>,
    pos: usize,
}

impl BitWriter {
    fn write(&mut self, value: u64, bits: u32) {
        let value = value & mask(bits);
        let off = (self.pos % 64) as u32;
        let avail = 64 - off;
        let w = self.pos / 64;
        if self.words.len() < w + 2 {
            self.words.resize(w + 2, 0);
        }
        if bits <= avail {
            self.words[w] |= value << (avail - bits);
        } else {
            let rest = bits - avail;
            self.words[w] |= value >> rest;
            self.words[w + 1] |= value << (64 - rest);
        }
        self.pos += bits as usize;
    }

    /// Every word touched, plus one when the end falls on a word boundary (as the SDKs count).
    fn finish(mut self) -> Vec<u64> {
        self.words.resize(self.pos / 64 + 1, 0);
        self.words
    }
}

fn delta_encode_block(values: &[i64], width: usize) -> Vec<u64> {
    let bits = (width * 8) as u32;
    let null = null_of(bits);
    let mut w = BitWriter {
        words: Vec::new(),
        pos: 0,
    };
    let mut i = 0;
    let nulls = |w: &mut BitWriter, i: &mut usize| {
        while *i < values.len() && values[*i] == null {
            w.write(0, 1);
            *i += 1;
        }
    };
    nulls(&mut w, &mut i);
    if i < values.len() {
        let first = values[i];
        w.write(1, 1);
        w.write(zigzag(first), bits);
        i += 1;
        nulls(&mut w, &mut i);
        if i < values.len() {
            let mut prev = values[i];
            let mut prev_delta = wrap(prev.wrapping_sub(first), bits);
            w.write(1, 1);
            w.write(zigzag(prev_delta), bits);
            for &v in &values[i + 1..] {
                if v == null {
                    w.write(0b111111, 6);
                    continue;
                }
                let delta = wrap(v.wrapping_sub(prev), bits);
                let dod = wrap(delta.wrapping_sub(prev_delta), bits);
                write_dod(&mut w, dod);
                prev = v;
                prev_delta = delta;
            }
        }
    }
    w.write(0b111110, 6);
    w.write(u64::MAX, 64);
    w.write(0, 1);
    w.finish()
}

fn write_dod(w: &mut BitWriter, dod: i64) {
    if dod == 0 {
        w.write(0, 1);
        return;
    }
    let coded = zigzag(dod) - 1;
    for (k, &bits) in DELTA_WIDTHS.iter().enumerate() {
        if bits == 64 || coded < 1u64 << bits {
            let ones = k as u32 + 1;
            w.write(mask(ones) << 1, ones + 1);
            w.write(coded, bits);
            return;
        }
    }
}

/// Reads bits most significant first from a block of 64-bit words.
#[derive(Clone)]
struct BitReader<'a> {
    block: &'a [u8],
    le: bool,
    total_bits: usize,
    pos: usize,
}

impl<'a> BitReader<'a> {
    fn new(block: &'a [u8], le: bool) -> Self {
        BitReader {
            block,
            le,
            total_bits: block.len() / 8 * 64,
            pos: 0,
        }
    }

    fn word(&self, i: usize) -> u64 {
        let mut a = [0u8; 8];
        if let Some(b) = self.block.get(i * 8..i * 8 + 8) {
            a.copy_from_slice(b);
        }
        if self.le {
            u64::from_le_bytes(a)
        } else {
            u64::from_be_bytes(a)
        }
    }

    /// The next `bits` (1..=64) bits, or None when fewer are left.
    fn read(&mut self, bits: u32) -> Option<u64> {
        if !(1..=64).contains(&bits) || self.total_bits - self.pos < bits as usize {
            return None;
        }
        let w = self.pos / 64;
        let off = (self.pos % 64) as u32;
        let avail = 64 - off;
        let word = self.word(w);
        let v = if bits <= avail {
            (word << off) >> (64 - bits)
        } else {
            let rest = bits - avail;
            ((word & mask(avail)) << rest) | (self.word(w + 1) >> (64 - rest))
        };
        self.pos += bits as usize;
        Some(v)
    }

    /// True (and consumed) when the end marker follows: `11110` then 64 one bits, as read
    /// where a first value or first delta is expected (its leading `1` already taken).
    fn at_end_marker(&mut self) -> bool {
        let saved = self.pos;
        if self.read(5) == Some(0b11110) && self.read(64) == Some(u64::MAX) {
            return true;
        }
        self.pos = saved;
        false
    }
}

/// Decodes one delta-of-delta block into `out` (cleared first): at most `want` elements of
/// `width` bytes, sign-extended. Returns how many were decoded; a block that ends early or is
/// corrupt yields what was decoded before that point, as the SDKs do.
fn delta_decode_block(
    block: &[u8],
    width: usize,
    want: usize,
    le: bool,
    out: &mut Vec<i64>,
) -> usize {
    out.clear();
    let bits = (width * 8) as u32;
    let null = null_of(bits);
    let mut r = BitReader::new(block, le);
    // Leading nulls, then the first value; more nulls, then the first delta.
    let lead = |r: &mut BitReader, out: &mut Vec<i64>| -> bool {
        loop {
            if out.len() >= want {
                return false;
            }
            match r.read(1) {
                Some(0) => out.push(null),
                Some(_) => return !r.at_end_marker(),
                None => return false,
            }
        }
    };
    if !lead(&mut r, out) {
        return out.len();
    }
    let Some(first) = r.read(bits) else {
        return out.len();
    };
    let first = unzigzag(first);
    out.push(wrap(first, bits));
    if !lead(&mut r, out) {
        return out.len();
    }
    let Some(d) = r.read(bits) else {
        return out.len();
    };
    let mut delta = unzigzag(d);
    let mut prev = first.wrapping_add(delta);
    out.push(wrap(prev, bits));
    while out.len() < want {
        let mut ones = 0usize;
        while ones < 6 {
            match r.read(1) {
                Some(1) => ones += 1,
                Some(_) => break,
                None => return out.len(),
            }
        }
        match ones {
            0 => {}
            6 => {
                out.push(null);
                continue;
            }
            k => {
                let coded = match r.read(DELTA_WIDTHS[k - 1]) {
                    Some(u64::MAX) | None => return out.len(), // the end marker
                    Some(c) => c,
                };
                delta = delta.wrapping_add(unzigzag(coded.wrapping_add(1)));
            }
        }
        prev = prev.wrapping_add(delta);
        out.push(wrap(prev, bits));
    }
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[i64], width: usize) {
        for le in [true, false] {
            let mut out = Vec::new();
            let n = deflate_delta(values, width, le, &mut out).expect("encodable");
            assert_eq!(n, out.len());
            let h = Header {
                byte_size: (out.len() + HEADER_COUNTED_BYTES) as i32,
                col_count: 1,
                version: 0,
                flag: le as i8,
                char_code: -1,
                method: Method::Delta as u8,
                data_type: 0,
                unit_length: width as i8,
                reserved: 0,
                extra: 0,
                element_count: values.len() as i32,
                check_sum: -1,
            };
            let mut raw = Vec::new();
            let mut budget = DECOMPRESSED_BYTES_MAX;
            inflate(&h, &out, Some(width), le, &mut budget, &mut raw).unwrap();
            let mut expect = Vec::new();
            write_values(values, width, le, &mut expect);
            assert_eq!(raw, expect, "width {width} le {le} values {values:?}");
        }
    }

    #[test]
    fn delta_of_delta_round_trips_edge_sequences() {
        for width in [2usize, 4, 8] {
            let bits = (width * 8) as u32;
            let null = null_of(bits);
            let max = if width == 8 {
                i64::MAX
            } else {
                (1i64 << (bits - 1)) - 1
            };
            let min1 = null + 1;
            for seq in [
                vec![],
                vec![5],
                vec![null],
                vec![null, null, 7],
                vec![3, null, null, 9, 10, null, 12],
                vec![1, 2, 3, 4, 5, 6, 7, 8],
                vec![0, 100, 50, 3000, -2000, 70000 % max, max, min1, max, 0],
                vec![max, min1, max, min1],
                vec![min1, max, null, min1],
            ] {
                let seq: Vec<i64> = seq.into_iter().map(|v| wrap(v, bits)).collect();
                round_trip(&seq, width);
            }
            // Longer than one block, with a mix of steps.
            let per_block = BLOCK_RAW_BYTES_MAX / width;
            let long: Vec<i64> = (0..per_block * 2 + 17)
                .map(|i| {
                    let v = (i as i64) * 3 + (i as i64 % 7) * 1000;
                    if i % 97 == 0 {
                        null
                    } else {
                        wrap(v, bits)
                    }
                })
                .collect();
            round_trip(&long, width);
        }
    }

    #[test]
    fn delta_blocks_count_words_as_the_sdk_does() {
        // [1, 2]: 1 + 32 (first) + 1 + 32 (first delta) + 6 + 64 + 1 = 137 bits = 3 words.
        let words = delta_encode_block(&[1, 2], 4);
        assert_eq!(words.len(), 3);
        assert_eq!(words[0] >> 63, 1);
        // zigzag(1) = 2 in the 32 bits after the flag.
        assert_eq!((words[0] >> 31) & 0xFFFF_FFFF, 2);
        // 64 bits exactly: [null x 57] + 111110 + 1 bit of the 64 ones... not a boundary; an
        // all-null block of 57 values ends at 57 + 70 + 1 = 128 bits: one extra empty word.
        let nulls = vec![null_of(32); 57];
        assert_eq!(delta_encode_block(&nulls, 4).len(), 3);
    }

    #[test]
    fn lz4_blocks_respect_boundaries_and_limits() {
        // Strings of 40000 bytes: at most one whole string per block.
        let mut raw = Vec::new();
        let mut cuts = Vec::new();
        for i in 0..5u8 {
            raw.extend(std::iter::repeat_n(b'a' + i, 39_999));
            raw.push(0);
            cuts.push(raw.len());
        }
        let mut out = Vec::new();
        deflate_lz4(&raw, Some(&cuts), true, &mut out);
        let mut pos = 0;
        let mut back = Vec::new();
        while pos < out.len() {
            let (block, next) = next_block(&out, pos, Method::Lz4, true).unwrap();
            let mut buf = vec![0u8; BLOCK_RAW_BYTES_MAX];
            let n = lz4_flex::block::decompress_into(block, &mut buf).unwrap();
            assert_eq!(n, 40_000);
            back.extend_from_slice(&buf[..n]);
            pos = next;
        }
        assert_eq!(back, raw);
        // One string longer than a block is split.
        let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8 + 1).collect();
        let mut out = Vec::new();
        deflate_lz4(&big, Some(&[big.len()]), true, &mut out);
        let mut pos = 0;
        let mut blocks = 0;
        while pos < out.len() {
            pos = next_block(&out, pos, Method::Lz4, true).unwrap().1;
            blocks += 1;
        }
        assert_eq!(blocks, 4);
    }
}
