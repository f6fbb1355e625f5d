//! A TOML file being read, to turn byte spans into `file:line:column` in errors.

use std::ops::Range;

/// A file being read, to turn byte spans into `file:line:column`.
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
}

impl SourceFile {
    pub(crate) fn at(&self, span: Range<usize>) -> String {
        let (line, column) = line_col(&self.text, span.start);
        format!("{}:{line}:{column}", self.name)
    }

    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        toml::from_str(&self.text).map_err(|err| {
            let at = match err.span() {
                Some(span) => self.at(span),
                None => self.name.clone(),
            };
            format!("{at}: {}", err.message().trim_end())
        })
    }
}

/// `1-based line:column` of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| {
        before[nl + 1..].chars().count()
    }) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use crate::config::source::line_col;

    #[test]
    fn line_col_is_one_based() {
        let text = "a = 1\nbb = 2\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        assert_eq!(line_col(text, 8), (2, 3));
    }
}
