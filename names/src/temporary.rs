//! The temporary file of an atomic write (write beside, fsync, rename over): the
//! naming rule that writers, readers that skip them and cleaners of stale ones share.

/// The temporary file for `name` written by process `pid`: `.NAME.PID.tmp` (hidden,
/// so readers of `*.json` or `*.prom` and people listing the directory pass it by).
pub fn temporary_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.tmp")
}

/// The name and process id of a [`temporary_name`], or `None` for any other file name.
///
/// ```
/// assert_eq!(muster_names::temporary_of(".a.json.42.tmp"), Some(("a.json", 42)));
/// assert_eq!(muster_names::temporary_of("a.json.42.tmp"), None);
/// ```
pub fn temporary_of(file_name: &str) -> Option<(&str, u32)> {
    let inner = file_name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (name, pid) = inner.rsplit_once('.')?;
    if name.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((name, pid.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use crate::temporary::{temporary_name, temporary_of};

    #[test]
    fn temporary_names_read_back_and_nothing_else() {
        assert_eq!(
            temporary_of(&temporary_name("a.json", 42)),
            Some(("a.json", 42))
        );
        for other in [
            "a.json",
            "a.json.42.tmp",
            ".a.json.x.tmp",
            "..1.tmp",
            ".tmp",
            ".a..tmp",
        ] {
            assert_eq!(temporary_of(other), None, "{other}");
        }
    }
}
