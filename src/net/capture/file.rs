//! The pcapng file (written with the `pcap-file` crate): a section for netgrade, one interface
//! (the grading's `lo`, Ethernet framing, nanosecond times), a packet block per frame with a
//! comment naming its check, TLS secrets as decryption-secrets blocks (Wireshark then shows
//! the TLS 1.3 handshake and alerts decrypted), and at the end the interface's statistics:
//! frames seen, and frames not written (the cap, or the kernel's full buffer), with a comment
//! that says why. Bounded: nothing is written past the cap.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime};

use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::interface_statistics::{
    InterfaceStatisticsBlock, InterfaceStatisticsOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::blocks::unknown::UnknownBlock;
use pcap_file::pcapng::{Block, PcapNgWriter};
use pcap_file::{DataLink, Endianness};

/// Room kept for the closing statistics block.
const CLOSING_ROOM: u64 = 512;
/// Room past the cap for netgrade's marks (a check begins, ends; the closing note).
const MARK_ROOM: u64 = 64 << 10;
/// The decryption-secrets block type, and its TLS key log kind ("TLSK").
const DSB: u32 = 0x0000_000A;
const TLS_KEY_LOG: u32 = 0x544c_534b;

pub struct PcapngFile {
    writer: PcapNgWriter<BufWriter<File>>,
    /// Bytes written in all.
    written: u64,
    /// Bytes of frames and secrets written (the headers included), held to `cap`.
    traffic: u64,
    cap: u64,
    /// Bytes of marks written, held to [`MARK_ROOM`].
    marks: u64,
}

fn io_error(e: pcap_file::PcapError) -> io::Error {
    match e {
        pcap_file::PcapError::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

fn padded(n: usize) -> u64 {
    (n as u64).div_ceil(4) * 4
}

impl PcapngFile {
    /// Creates `path` with the section and interface blocks; frames longer than `snaplen` are
    /// cut; the file grows to `cap` bytes at most.
    pub fn create(path: &Path, snaplen: u32, cap: u64) -> io::Result<PcapngFile> {
        let file = BufWriter::with_capacity(256 << 10, File::create(path)?);
        let section = SectionHeaderBlock {
            options: vec![
                SectionHeaderOption::UserApplication(Cow::Owned(format!(
                    "netgrade {}",
                    env!("CARGO_PKG_VERSION")
                ))),
                SectionHeaderOption::Comment(Cow::Borrowed(
                    "One grading's traffic on its private loopback. Filter one check with: frame.comment contains \"check NAME\"",
                )),
            ],
            // Little-endian: the secrets block below writes its own words that way.
            endianness: Endianness::Little,
            ..SectionHeaderBlock::default()
        };
        let mut writer = PcapNgWriter::with_section_header(file, section).map_err(io_error)?;
        let interface = InterfaceDescriptionBlock {
            linktype: DataLink::ETHERNET,
            snaplen,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("lo")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "the grading's own loopback, in its network namespace",
                )),
                // pcap-file writes packet times in nanoseconds.
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        let mut written = writer.write_pcapng_block(interface).map_err(io_error)? as u64;
        // A second interface for netgrade's own marks (a check begins, a check ends): not
        // traffic, so apart from `lo`, as text Wireshark shows in its packet list.
        let marks = InterfaceDescriptionBlock {
            linktype: DataLink::USER0,
            snaplen: 1024,
            options: vec![
                InterfaceDescriptionOption::IfName(Cow::Borrowed("netgrade")),
                InterfaceDescriptionOption::IfDescription(Cow::Borrowed(
                    "netgrade's marks: where each check begins and ends (not traffic)",
                )),
                InterfaceDescriptionOption::IfTsResol(9),
            ],
        };
        written += writer.write_pcapng_block(marks).map_err(io_error)? as u64;
        written += 64; // the section header, roughly
        Ok(PcapngFile {
            writer,
            traffic: written,
            written,
            cap,
            marks: 0,
        })
    }

    /// Writes one frame (`data`, of `original_len` on the wire) arrived `at`, with `comment`.
    /// Returns false, writing nothing, when it would pass the cap.
    pub fn frame(
        &mut self,
        at: SystemTime,
        data: &[u8],
        original_len: usize,
        comment: Option<&str>,
    ) -> io::Result<bool> {
        let size = 32 + padded(data.len()) + comment.map_or(0, |c| 8 + padded(c.len()));
        if self.traffic + size + CLOSING_ROOM > self.cap {
            return Ok(false);
        }
        let n = self.block(0, at, data, original_len, comment)?;
        self.traffic += n;
        Ok(true)
    }

    /// Writes a mark of netgrade's own (`check echo begins`) on its interface, at `at`: in
    /// room of their own past the cap, so that a flood that filled the file leaves every
    /// check's beginning and end marked.
    pub fn mark(&mut self, at: SystemTime, text: &str) -> io::Result<bool> {
        let size = 40 + 2 * padded(text.len());
        if self.marks + size > MARK_ROOM {
            return Ok(false);
        }
        self.marks += size;
        self.block(1, at, text.as_bytes(), text.len(), Some(text))?;
        Ok(true)
    }

    /// Writes a packet block; its size.
    fn block(
        &mut self,
        interface_id: u32,
        at: SystemTime,
        data: &[u8],
        original_len: usize,
        comment: Option<&str>,
    ) -> io::Result<u64> {
        let block = EnhancedPacketBlock {
            interface_id,
            timestamp: since_epoch(at),
            original_len: original_len as u32,
            data: Cow::Borrowed(data),
            options: comment
                .map(|c| EnhancedPacketOption::Comment(Cow::Borrowed(c)))
                .into_iter()
                .collect(),
        };
        let n = self.writer.write_pcapng_block(block).map_err(io_error)? as u64;
        self.written += n;
        Ok(n)
    }

    /// Writes TLS key log lines (`CLIENT_RANDOM ...`, `CLIENT_HANDSHAKE_TRAFFIC_SECRET ...`),
    /// within the cap.
    pub fn tls_secrets(&mut self, lines: &[u8]) -> io::Result<()> {
        let size = 20 + padded(lines.len());
        if lines.is_empty() || self.traffic + size + CLOSING_ROOM > self.cap {
            return Ok(());
        }
        let mut body = Vec::with_capacity(8 + lines.len());
        body.extend_from_slice(&TLS_KEY_LOG.to_le_bytes());
        body.extend_from_slice(&(lines.len() as u32).to_le_bytes());
        body.extend_from_slice(lines);
        // In the section's byte order (little-endian, see `create`).
        let block = Block::Unknown(UnknownBlock {
            type_: DSB,
            length: 0,
            value: Cow::Owned(body),
        });
        let n = self.writer.write_block(&block).map_err(io_error)? as u64;
        self.written += n;
        self.traffic += n;
        Ok(())
    }

    /// Closes the file with the interface's statistics: `received` frames seen, `dropped` not
    /// written, and `why` when some were not.
    pub fn finish(mut self, received: u64, dropped: u64, why: Option<String>) -> io::Result<()> {
        let now = since_epoch(SystemTime::now()).as_nanos() as u64;
        let mut options = vec![
            InterfaceStatisticsOption::IsbIfRecv(received),
            InterfaceStatisticsOption::IsbIfDrop(dropped),
            InterfaceStatisticsOption::IsbEndTime(now),
        ];
        if let Some(why) = why {
            options.push(InterfaceStatisticsOption::Comment(Cow::Owned(why)));
        }
        let stats = InterfaceStatisticsBlock {
            interface_id: 0,
            timestamp: now,
            options,
        };
        self.writer.write_pcapng_block(stats).map_err(io_error)?;
        self.writer.get_mut().flush()
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }
}

fn since_epoch(at: SystemTime) -> Duration {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}
