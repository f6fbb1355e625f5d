//! Bounded reads of operator-supplied files (policy, facts, state): what muster
//! reads policy and facts files with, for a host's own files (its state, caches).
//!
//! A path given on the command line can name anything: a FIFO (reading blocks
//! forever), `/dev/zero` (reading never ends), a 20 GB log. Input files are
//! small, so anything that is not a regular file, or is larger than
//! [`MAX_INPUT_BYTES`], is refused before it is read.

use std::io::{self, Read};
use std::path::Path;

/// The largest policy, facts or state file read: 1 MiB.
pub const MAX_INPUT_BYTES: u64 = 1 << 20;

/// Reads `path` if it is a regular file (after following symlinks) of at most
/// `limit` bytes; the error says which of those it is not.
pub fn read_input_file(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        let kind = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, kind));
    }
    let too_large = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {limit}-byte limit for input files"),
        )
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    // Sized for the whole file plus the read that sees its end: no probing reads.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0) + 1);
    // The file may grow between the check and the read: never read past the limit.
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::input::read_input_file;

    #[test]
    fn refuses_directories_devices_and_large_files() {
        let e = read_input_file(Path::new("/"), 10).unwrap_err();
        assert!(e.to_string().contains("directory"), "{e}");
        #[cfg(unix)]
        {
            let e = read_input_file(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        let dir = std::env::temp_dir().join(format!("muster-input-{}", std::process::id()));
        std::fs::write(&dir, [b'x'; 11]).unwrap();
        let e = read_input_file(&dir, 10).unwrap_err();
        assert!(e.to_string().contains("10-byte limit"), "{e}");
        assert_eq!(read_input_file(&dir, 11).unwrap().len(), 11);
        std::fs::remove_file(&dir).unwrap();
    }
}
