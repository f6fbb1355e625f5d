//! Text tables whose columns fit their content: each column as wide as its widest
//! cell (the header included), two spaces between columns, the last one unpadded.
//! Every table the kit prints (`plugins list`, `plugins fleet`, `--diff-policy`) goes
//! through here, so a long slot, plugin or host name never pushes a column out from
//! under its header.

use std::collections::HashMap;
use std::fmt::Write;

/// Column widths, widened by every row they are shown.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    widths: Vec<usize>,
}

impl Columns {
    /// Columns as wide as `headers`.
    pub(crate) fn new(headers: &[&str]) -> Columns {
        Columns {
            widths: headers.iter().map(|h| h.chars().count()).collect(),
        }
    }

    /// Widens the columns to fit `row`.
    pub(crate) fn fit(&mut self, row: &[&str]) {
        for (width, cell) in self.widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }

    /// Writes `row` as one line: every cell but the last padded to its column.
    pub(crate) fn write(&self, out: &mut String, row: &[&str]) {
        let last = row.len().saturating_sub(1);
        for (i, cell) in row.iter().enumerate() {
            if i == last {
                out.push_str(cell);
            } else {
                let width = self.widths.get(i).copied().unwrap_or(0);
                let _ = write!(out, "{cell:<width$}  ");
            }
        }
        out.push('\n');
    }
}

/// How to name each host in a table: its hostname, with the host id added where two
/// hosts share a hostname, and the facts file where they share both.
pub(crate) fn host_labels<'a>(
    hosts: impl Iterator<Item = (&'a str, &'a str, &'a std::path::Path)> + Clone,
) -> Vec<String> {
    let mut names: HashMap<&str, usize> = HashMap::new();
    let mut pairs: HashMap<(&str, &str), usize> = HashMap::new();
    for (name, id, _) in hosts.clone() {
        *names.entry(name).or_default() += 1;
        *pairs.entry((name, id)).or_default() += 1;
    }
    hosts
        .map(|(name, id, file)| {
            if names[name] == 1 {
                name.to_owned()
            } else if pairs[&(name, id)] == 1 {
                format!("{name} ({id})")
            } else {
                format!("{name} ({id}, {})", file.display())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::table::{Columns, host_labels};

    #[test]
    fn columns_fit_the_longest_cell_and_stay_under_their_headers() {
        let rows = [
            ["rate_limiter", "token_bucket", "1.0.0"],
            ["http_signer", "hmac", "2.0.0-rc.1"],
        ];
        let mut columns = Columns::new(&["SLOT", "NAME", "VERSION"]);
        for row in &rows {
            columns.fit(row);
        }
        let mut out = String::new();
        columns.write(&mut out, &["SLOT", "NAME", "VERSION"]);
        for row in &rows {
            columns.write(&mut out, row);
        }
        assert_eq!(
            out,
            "SLOT          NAME          VERSION\n\
             rate_limiter  token_bucket  1.0.0\n\
             http_signer   hmac          2.0.0-rc.1\n"
        );
        // Every column starts where its header does.
        let header = out.lines().next().unwrap();
        for line in out.lines() {
            for title in ["NAME", "VERSION"] {
                let at = header.find(title).unwrap();
                assert_ne!(line.as_bytes()[at], b' ', "{line}");
                assert_eq!(line.as_bytes()[at - 1], b' ', "{line}");
            }
        }
    }

    #[test]
    fn hosts_sharing_a_name_are_told_apart_by_id_then_file() {
        let hosts = [
            ("edge", "id-1", Path::new("a.json")),
            ("edge", "id-2", Path::new("b.json")),
            ("core", "id-3", Path::new("c.json")),
            ("twin", "id-4", Path::new("d.json")),
            ("twin", "id-4", Path::new("e.json")),
        ];
        assert_eq!(
            host_labels(hosts.iter().copied()),
            [
                "edge (id-1)",
                "edge (id-2)",
                "core",
                "twin (id-4, d.json)",
                "twin (id-4, e.json)"
            ]
        );
    }
}
