//! Zip-bomb defence for `.xlsx`: the container is inspected, and every
//! entry inflated into a counting sink under hard limits, *before* the
//! spreadsheet parser (which would inflate into memory) runs. Declared sizes
//! in zip headers can lie, so the actual inflated bytes are what count.

use std::io::{self, Read, Write};

use super::error::ImportError;

/// The inflation limits of one workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZipLimits {
    /// Most entries in the container.
    pub max_entries: usize,
    /// Most inflated bytes of one entry.
    pub max_entry_bytes: u64,
    /// Most inflated bytes of all entries together.
    pub max_total_bytes: u64,
    /// Highest inflated/compressed ratio of an entry larger than
    /// [`ZipLimits::ratio_floor`] inflated bytes.
    pub max_ratio: u64,
    /// Entries smaller than this are not ratio-checked (tiny XML parts
    /// compress extremely well and are harmless).
    pub ratio_floor: u64,
}

impl Default for ZipLimits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_entry_bytes: 200 * 1024 * 1024,
            max_total_bytes: 300 * 1024 * 1024,
            max_ratio: 250,
            ratio_floor: 4 * 1024 * 1024,
        }
    }
}

/// A sink that counts what is written to it.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Checks the zip container in `bytes` against `limits`; the total number
/// of inflated bytes when it passes.
pub fn check_zip(bytes: &[u8], limits: &ZipLimits) -> Result<u64, ImportError> {
    let mut archive = zip::ZipArchive::new(io::Cursor::new(bytes))
        .map_err(|e| ImportError::Unreadable(format!("not a valid zip container: {e}")))?;
    if archive.len() > limits.max_entries {
        return Err(ImportError::Bomb(format!(
            "{} entries in the container (at most {})",
            archive.len(),
            limits.max_entries
        )));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry =
            archive.by_index(i).map_err(|e| ImportError::Unreadable(format!("zip entry {i} cannot be read: {e}")))?;
        if entry.size() > limits.max_entry_bytes {
            return Err(ImportError::Bomb(format!(
                "entry {:?} declares {} inflated bytes (at most {})",
                entry.name(),
                entry.size(),
                limits.max_entry_bytes
            )));
        }
        let budget = limits.max_entry_bytes.min(limits.max_total_bytes - total);
        let mut sink = Counter(0);
        let name = entry.name().to_owned();
        let compressed = entry.compressed_size().max(1);
        io::copy(&mut (&mut entry).take(budget + 1), &mut sink)
            .map_err(|e| ImportError::Unreadable(format!("zip entry {name:?} cannot be inflated: {e}")))?;
        let inflated = sink.0;
        if inflated > budget {
            return Err(ImportError::Bomb(format!(
                "entry {name:?} inflates beyond {budget} bytes (at most {} per entry, {} in all)",
                limits.max_entry_bytes, limits.max_total_bytes
            )));
        }
        if inflated > limits.ratio_floor && inflated / compressed > limits.max_ratio {
            return Err(ImportError::Bomb(format!(
                "entry {name:?} inflates {}-fold (at most {}-fold)",
                inflated / compressed,
                limits.max_ratio
            )));
        }
        total += inflated;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use zip::write::SimpleFileOptions;

    fn zip_with(entries: &[(&str, &[u8], u64)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, repeat) in entries {
            w.start_file(*name, SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated))
                .expect("start");
            for _ in 0..*repeat {
                w.write_all(data).expect("write");
            }
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn normal_containers_pass_and_bombs_are_refused() {
        let ok = zip_with(&[("xl/workbook.xml", b"<workbook/>", 1), ("xl/worksheets/sheet1.xml", b"<row/>", 100)]);
        assert_eq!(check_zip(&ok, &ZipLimits::default()), Ok(11 + 600));
        let zeros = [0u8; 64 * 1024];
        let bomb = zip_with(&[("xl/worksheets/sheet1.xml", &zeros, 200)]);
        let limits = ZipLimits { max_entry_bytes: 8 * 1024 * 1024, ..ZipLimits::default() };
        assert!(matches!(check_zip(&bomb, &limits), Err(ImportError::Bomb(_))));
        let ratio = ZipLimits { ratio_floor: 1024, ..ZipLimits::default() };
        let e = check_zip(&bomb, &ratio).expect_err("the ratio limit refuses it");
        assert!(e.to_string().contains("fold"), "{e}");
        assert!(matches!(check_zip(b"PK\x03\x04garbage", &ZipLimits::default()), Err(ImportError::Unreadable(_))));
    }
}
