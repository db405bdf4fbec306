//! The last guard for secrets: the passwords the targets carry, registered once, and replaced by
//! `***` in every text the harness writes — files, the console, error messages — whatever path
//! the text took to get there.

use std::sync::RwLock;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Shorter values are not scrubbed from text (they would mangle ordinary words); redaction
/// where they are known to be passwords still hides them.
const SHORTEST: usize = 3;

/// Remember `secret` (and, when it differs, its percent-encoded spelling) to scrub it.
pub fn register(secret: &str) {
    if secret.chars().count() < SHORTEST || secret == "***" {
        return;
    }
    let mut all = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for s in [secret.to_string(), encode(secret)] {
        if !all.contains(&s) {
            all.push(s);
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    all.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret replaced by `***`.
pub fn scrub(text: &str) -> String {
    let all = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for s in all.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// Percent-encoding of everything but unreserved characters (as a URL would carry it).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_scrubbed_in_both_spellings() {
        register("s3/cr#t?");
        register("pw");
        assert_eq!(
            scrub("url postgres://u:s3/cr#t?@h and s3%2Fcr%23t%3F, pw stays"),
            "url postgres://u:***@h and ***, pw stays"
        );
    }
}
