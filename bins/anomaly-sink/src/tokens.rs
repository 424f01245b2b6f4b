//! Bearer tokens the sink accepts, read from a tokens file.

use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};

/// Why the tokens file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    /// The file could not be read.
    #[error("cannot read the tokens file {path}: {source}")]
    Unreadable {
        /// The tokens file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file holds no token, so every request would be refused.
    #[error(
        "the tokens file {path} holds no token (one token a line; blank lines and # comments are ignored)"
    )]
    Empty {
        /// The tokens file.
        path: PathBuf,
    },
}

/// The accepted bearer tokens.
///
/// Only SHA-256 digests of the tokens are kept: the tokens themselves never sit in the
/// server's memory to be logged or dumped, and comparing fixed-length digests in constant
/// time reveals neither a token's characters nor its length through timing.
#[derive(Clone, Default)]
pub struct Tokens {
    digests: Vec<[u8; 32]>,
}

impl Tokens {
    /// Reads the tokens file: one token a line; surrounding whitespace, blank lines and
    /// lines starting with `#` are ignored. A file without any token is an error.
    pub fn from_file(path: &Path) -> Result<Tokens, TokensError> {
        let text = std::fs::read_to_string(path).map_err(|source| TokensError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let tokens = Tokens::parse(&text);
        if tokens.is_empty() {
            return Err(TokensError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(tokens)
    }

    /// Reads tokens from the text of a tokens file.
    ///
    /// ```
    /// use anomaly_sink::Tokens;
    /// let tokens = Tokens::parse("# site tokens\n\nalpha-123\n  beta-456  \n");
    /// assert_eq!(tokens.len(), 2);
    /// assert!(tokens.accepts("beta-456"));
    /// assert!(!tokens.accepts("# site tokens"));
    /// ```
    pub fn parse(text: &str) -> Tokens {
        Tokens::from_iter(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#')),
        )
    }

    /// How many tokens are accepted.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// True when no token is accepted.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `presented` is one of the tokens, compared in constant time.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        // Every token is compared in full, so the time taken says nothing about which
        // token matched or how much of one did.
        self.digests.iter().fold(false, |found, known| {
            found | constant_time_eq(known, &presented)
        })
    }
}

impl<'a> FromIterator<&'a str> for Tokens {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        Tokens {
            digests: iter.into_iter().map(digest).collect(),
        }
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tokens({} accepted, redacted)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold back into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_blank_lines_and_whitespace_are_ignored() {
        let tokens = Tokens::parse("# comment\r\n\r\n  tok-1 \r\n#tok-2\ntok-3");
        assert_eq!(tokens.len(), 2);
        assert!(tokens.accepts("tok-1"));
        assert!(tokens.accepts("tok-3"));
        assert!(!tokens.accepts("tok-2"));
        assert!(!tokens.accepts("#tok-2"));
        assert!(!tokens.accepts("tok-"));
        assert!(!tokens.accepts(""));
    }

    #[test]
    fn debug_shows_no_token() {
        let tokens = Tokens::parse("very-secret-token");
        assert_eq!(format!("{tokens:?}"), "Tokens(1 accepted, redacted)");
    }

    #[test]
    fn a_file_without_tokens_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens");
        std::fs::write(&path, "# nothing yet\n\n").unwrap();
        let err = Tokens::from_file(&path).unwrap_err();
        assert!(err.to_string().contains("holds no token"), "{err}");
        let err = Tokens::from_file(&dir.path().join("missing")).unwrap_err();
        assert!(
            err.to_string().starts_with("cannot read the tokens file"),
            "{err}"
        );
    }
}
