//! SHA-256 over up to four messages at once.
//!
//! WebAssembly has no SHA instructions, so one message hashes at the scalar rate. Its 128-bit
//! SIMD does hold four 32-bit words, one per message: running the rounds on vectors hashes
//! four files for little more than the price of one. Native builds hash each message with
//! `sha2`, which uses the CPU's SHA instructions where it has them.

/// SHA-256's chaining value.
pub type State = [u32; 8];

pub const INIT: State = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

pub const BLOCK: usize = 64;

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// Runs the compression function over `blocks[i]` into `states[i]`, for up to four messages.
/// Every slice of blocks has the same length, a multiple of [`BLOCK`].
pub fn compress(states: &mut [&mut State], blocks: &[&[u8]]) {
    assert!(states.len() == blocks.len() && (1..=4).contains(&blocks.len()));
    assert!(blocks.iter().all(|b| b.len() == blocks[0].len()));
    assert!(blocks[0].len().is_multiple_of(BLOCK));
    // Four lanes cost about what 1.7 scalar messages do (wasmtime on x86-64), so from two
    // messages up the lanes are the faster way.
    if cfg!(all(target_arch = "wasm32", target_feature = "simd128")) && blocks.len() >= 2 {
        compress_lanes(states, blocks);
    } else {
        for (state, blocks) in states.iter_mut().zip(blocks) {
            for block in blocks.chunks_exact(BLOCK) {
                let block = sha2::digest::generic_array::GenericArray::from_slice(block);
                sha2::compress256(state, std::slice::from_ref(block));
            }
        }
    }
}

/// The message's last blocks: what is left of it (less than a block) followed by the
/// padding that carries its length in bits.
pub fn pad(rest: &[u8], message_len: u64) -> Vec<u8> {
    debug_assert!(rest.len() < BLOCK);
    let mut out = rest.to_vec();
    out.push(0x80);
    while out.len() % BLOCK != BLOCK - 8 {
        out.push(0);
    }
    out.extend_from_slice(&(message_len * 8).to_be_bytes());
    out
}

pub fn digest(state: &State) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// The four-lane compression. Lanes past `blocks.len()` hash a copy of the first message
/// and are thrown away.
fn compress_lanes(states: &mut [&mut State], blocks: &[&[u8]]) {
    let lane = |i: usize| blocks[i.min(blocks.len() - 1)];
    let (b0, b1, b2, b3) = (lane(0), lane(1), lane(2), lane(3));
    let mut s: [V; 8] = std::array::from_fn(|w| {
        V::from_words(std::array::from_fn(|l| states[l.min(states.len() - 1)][w]))
    });
    for at in (0..b0.len()).step_by(BLOCK) {
        let block = [
            &b0[at..at + BLOCK],
            &b1[at..at + BLOCK],
            &b2[at..at + BLOCK],
            &b3[at..at + BLOCK],
        ];
        s = rounds(s, block);
    }
    for (l, state) in states.iter_mut().enumerate() {
        for (w, word) in state.iter_mut().enumerate() {
            *word = s[w].lane(l);
        }
    }
}

/// One block per lane through the 64 rounds, added to the chaining value.
///
/// Written out round by round (the `r!` calls): with constant indices the sixteen schedule
/// words and eight working words stay in the engine's registers, where a loop would index
/// them in linear memory.
#[inline(always)]
fn rounds(state: [V; 8], block: [&[u8]; 4]) -> [V; 8] {
    let mut w: [V; 16] = std::array::from_fn(|_| V::splat(0));
    for j in 0..4 {
        let words = V::load_be_words(block, j * 16);
        w[j * 4..j * 4 + 4].copy_from_slice(&words);
    }
    let mut s = state;
    // Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and this round's b ^ c is the last one's a ^ b.
    let mut prev_ab = s[1] ^ s[2];
    macro_rules! r {
        ($t:expr) => {
            round(&mut s, &mut w, &mut prev_ab, $t)
        };
    }
    macro_rules! r8 {
        ($t:expr) => {
            r!($t);
            r!($t + 1);
            r!($t + 2);
            r!($t + 3);
            r!($t + 4);
            r!($t + 5);
            r!($t + 6);
            r!($t + 7);
        };
    }
    r8!(0);
    r8!(8);
    r8!(16);
    r8!(24);
    r8!(32);
    r8!(40);
    r8!(48);
    r8!(56);
    std::array::from_fn(|i| state[i] + s[i])
}

/// Round `t`. The eight working words do not move: their roles do, so `a` of round `t` is
/// `s[(8 - t % 8) % 8]`, and after 64 rounds every word is back in its own place.
#[inline(always)]
fn round(s: &mut [V; 8], w: &mut [V; 16], prev_ab: &mut V, t: usize) {
    if t >= 16 {
        let (w2, w15) = (w[(t - 2) % 16], w[(t - 15) % 16]);
        let s0 = w15.rotr(7) ^ w15.rotr(18) ^ w15.shift_right(3);
        let s1 = w2.rotr(17) ^ w2.rotr(19) ^ w2.shift_right(10);
        w[t % 16] = w[t % 16] + s0 + w[(t - 7) % 16] + s1;
    }
    let at = |role: usize| (role + 8 - t % 8) % 8;
    let (a, b, d, e, f, g, h) = (
        s[at(0)],
        s[at(1)],
        s[at(3)],
        s[at(4)],
        s[at(5)],
        s[at(6)],
        s[at(7)],
    );
    let s1 = e.rotr(6) ^ e.rotr(11) ^ e.rotr(25);
    let t1 = h + s1 + V::select(f, g, e) + V::splat(K[t]) + w[t % 16];
    let s0 = a.rotr(2) ^ a.rotr(13) ^ a.rotr(22);
    let ab = a ^ b;
    let maj = b ^ V::and(ab, *prev_ab);
    *prev_ab = ab;
    s[at(3)] = d + t1;
    s[at(7)] = t1 + s0 + maj;
}

pub use lanes::V;

/// Four 32-bit lanes: WebAssembly's `v128` where the guest is built with SIMD, else an
/// array, so the lane code is unit-tested natively too.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct V(v128);

    impl V {
        pub fn from_words(w: [u32; 4]) -> V {
            V(u32x4(w[0], w[1], w[2], w[3]))
        }
        pub fn splat(x: u32) -> V {
            V(u32x4_splat(x))
        }
        pub fn lane(self, i: usize) -> u32 {
            match i {
                0 => u32x4_extract_lane::<0>(self.0),
                1 => u32x4_extract_lane::<1>(self.0),
                2 => u32x4_extract_lane::<2>(self.0),
                _ => u32x4_extract_lane::<3>(self.0),
            }
        }
        #[inline(always)]
        pub fn rotr(self, n: u32) -> V {
            V(v128_or(u32x4_shr(self.0, n), u32x4_shl(self.0, 32 - n)))
        }
        #[inline(always)]
        pub fn shift_right(self, n: u32) -> V {
            V(u32x4_shr(self.0, n))
        }
        /// Bits of `a` where `mask` is set, of `b` elsewhere.
        #[inline(always)]
        pub fn select(a: V, b: V, mask: V) -> V {
            V(v128_bitselect(a.0, b.0, mask.0))
        }
        #[inline(always)]
        pub fn and(a: V, b: V) -> V {
            V(v128_and(a.0, b.0))
        }
        /// Big-endian words `at/4 .. at/4 + 4` of each lane's block, as four vectors of
        /// one word from every lane: four loads, four byte swaps and a 4x4 transpose, where
        /// word by word it takes sixteen loads and inserts.
        #[inline(always)]
        pub fn load_be_words(block: [&[u8]; 4], at: usize) -> [V; 4] {
            let v = block.map(|b| {
                let bytes: &[u8; 16] = b[at..at + 16].try_into().unwrap();
                // SAFETY: `bytes` is 16 readable bytes; v128 loads need no alignment.
                let x = unsafe { v128_load(bytes.as_ptr().cast()) };
                i8x16_shuffle::<3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12>(x, x)
            });
            let t0 = i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]);
            let t1 = i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]);
            let t2 = i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]);
            let t3 = i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]);
            [
                V(i64x2_shuffle::<0, 2>(t0, t2)),
                V(i64x2_shuffle::<1, 3>(t0, t2)),
                V(i64x2_shuffle::<0, 2>(t1, t3)),
                V(i64x2_shuffle::<1, 3>(t1, t3)),
            ]
        }
    }

    impl core::ops::Add for V {
        type Output = V;
        #[inline(always)]
        fn add(self, o: V) -> V {
            V(u32x4_add(self.0, o.0))
        }
    }

    impl core::ops::BitXor for V {
        type Output = V;
        #[inline(always)]
        fn bitxor(self, o: V) -> V {
            V(v128_xor(self.0, o.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    #[derive(Clone, Copy)]
    pub struct V([u32; 4]);

    impl V {
        pub fn from_words(w: [u32; 4]) -> V {
            V(w)
        }
        pub fn splat(x: u32) -> V {
            V([x; 4])
        }
        pub fn lane(self, i: usize) -> u32 {
            self.0[i]
        }
        pub fn rotr(self, n: u32) -> V {
            V(self.0.map(|x| x.rotate_right(n)))
        }
        pub fn shift_right(self, n: u32) -> V {
            V(self.0.map(|x| x >> n))
        }
        /// Bits of `a` where `mask` is set, of `b` elsewhere.
        pub fn select(a: V, b: V, mask: V) -> V {
            V(std::array::from_fn(|i| {
                (a.0[i] & mask.0[i]) | (b.0[i] & !mask.0[i])
            }))
        }
        pub fn and(a: V, b: V) -> V {
            V(std::array::from_fn(|i| a.0[i] & b.0[i]))
        }
        /// Big-endian words `at/4 .. at/4 + 4` of each lane's block, one vector a word.
        pub fn load_be_words(block: [&[u8]; 4], at: usize) -> [V; 4] {
            std::array::from_fn(|j| {
                V(block
                    .map(|b| u32::from_be_bytes(b[at + 4 * j..at + 4 * j + 4].try_into().unwrap())))
            })
        }
    }

    impl core::ops::Add for V {
        type Output = V;
        fn add(self, o: V) -> V {
            V(std::array::from_fn(|i| self.0[i].wrapping_add(o.0[i])))
        }
    }

    impl core::ops::BitXor for V {
        type Output = V;
        fn bitxor(self, o: V) -> V {
            V(std::array::from_fn(|i| self.0[i] ^ o.0[i]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn message(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    /// The message's whole blocks followed by its padded tail.
    fn padded(msg: &[u8]) -> Vec<u8> {
        let whole = msg.len() - msg.len() % BLOCK;
        let mut blocks = msg[..whole].to_vec();
        blocks.extend(pad(&msg[whole..], msg.len() as u64));
        blocks
    }

    fn sha2(msg: &[u8]) -> [u8; 32] {
        Sha256::digest(msg).into()
    }

    #[test]
    fn the_lanes_agree_with_sha2_at_every_padding_edge() {
        for len in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000] {
            // Same-length messages, so one call carries all four lanes.
            let msgs: Vec<Vec<u8>> = (0..4).map(|s| message(len, s)).collect();
            let blocks: Vec<Vec<u8>> = msgs.iter().map(|m| padded(m)).collect();
            let mut states = [INIT; 4];
            let mut refs: Vec<&mut State> = states.iter_mut().collect();
            let slices: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
            compress_lanes(&mut refs, &slices);
            for (m, s) in msgs.iter().zip(&states) {
                assert_eq!(digest(s), sha2(m), "len {len}");
            }
        }
    }

    #[test]
    fn fewer_than_four_lanes_leave_the_others_alone() {
        let msgs = [message(200, 1), message(200, 2)];
        let (b0, b1) = (padded(&msgs[0]), padded(&msgs[1]));
        let (mut s0, mut s1) = (INIT, INIT);
        compress_lanes(&mut [&mut s0, &mut s1], &[&b0, &b1]);
        assert_eq!(digest(&s0), sha2(&msgs[0]));
        assert_eq!(digest(&s1), sha2(&msgs[1]));
    }

    #[test]
    fn compress_matches_sha2_one_message_at_a_time() {
        let msg = message(777, 9);
        let mut state = INIT;
        compress(&mut [&mut state], &[&padded(&msg)]);
        assert_eq!(digest(&state), sha2(&msg));
    }
}
