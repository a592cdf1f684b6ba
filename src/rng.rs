//! The seeded generator behind every value a submission could otherwise hard-code: tokens in
//! bodies, unknown paths, source addresses. The report prints the seed, and `--seed N` replays
//! the same values. (Ports are not seeded: they depend on what is free on the machine, and are
//! redacted from reports.)

/// SplitMix64: tiny, fast, and good enough for test inputs (not for secrets).
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// The stream called `name` of the run seeded with `seed`: each use of randomness (a
    /// check, a fixture zone) draws from its own, so `--only`, skips and new checks never
    /// change the values another one sees for the same seed.
    pub fn named(seed: u64, name: &str) -> Rng {
        // FNV-1a over the name, then one SplitMix64 step to spread it.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        let mut r = Rng::new(seed ^ h);
        Rng::new(r.next_u64())
    }

    /// A fresh seed for a run that was not given one.
    pub fn fresh_seed() -> u64 {
        use std::hash::{BuildHasher, RandomState};
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        // RandomState is seeded from the OS; mixing in time and pid keeps seeds distinct
        // even where it is not. Kept to 9 digits so that it is easy to copy from a report.
        RandomState::new().hash_one((nanos, std::process::id())) % 1_000_000_000
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Lowercase letters and digits, safe in a URL path, a DNS label and a body.
    pub fn token(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
        (0..len)
            .map(|_| ALPHABET[self.range(0, ALPHABET.len() as u64 - 1) as usize] as char)
            .collect()
    }

    /// A loopback address other than 127.0.0.1 (and not a network or broadcast-looking one),
    /// so that a server that hard-codes `127.0.0.1` is caught.
    pub fn loopback_v4(&mut self) -> std::net::Ipv4Addr {
        std::net::Ipv4Addr::new(
            127,
            self.range(1, 254) as u8,
            self.range(1, 254) as u8,
            self.range(2, 254) as u8,
        )
    }

    /// A private (RFC 1918) IPv4 address, from any of the three ranges, never a network or
    /// broadcast address: the fixture "private IP" of an isolated grading, so that no program
    /// passes by printing a fixed one.
    pub fn private_v4(&mut self) -> std::net::Ipv4Addr {
        let (a, b) = match self.range(0, 2) {
            0 => (10, self.range(0, 255) as u8),
            1 => (172, self.range(16, 31) as u8),
            _ => (192, 168),
        };
        std::net::Ipv4Addr::new(a, b, self.range(0, 255) as u8, self.range(1, 254) as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_values() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.token(12), b.token(12));
        assert_eq!(a.loopback_v4(), b.loopback_v4());
        for _ in 0..200 {
            assert!(a.private_v4().is_private());
        }
        assert_ne!(Rng::new(1).token(12), Rng::new(2).token(12));
    }

    #[test]
    fn loopback_addresses_avoid_the_default_one() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            let ip = r.loopback_v4();
            assert!(ip.is_loopback());
            assert_ne!(ip, std::net::Ipv4Addr::LOCALHOST);
        }
    }
}
