//! Source decoding as CPython does it (PEP 263): UTF-8 unless a coding declaration on the first
//! or second line (`# -*- coding: latin-1 -*-`) names another encoding; a UTF-8 byte-order mark
//! means UTF-8 whatever the declaration says. The codecs come from `encoding_rs` (the WHATWG
//! encodings: the Latin, Cyrillic, CJK and Windows code pages real Python files declare).

use std::borrow::Cow;

use encoding_rs::Encoding;

const BOM: &[u8] = b"\xef\xbb\xbf";

/// The encoding a coding declaration names, if the first or second line has one.
pub fn declared(bytes: &[u8]) -> Option<&str> {
    let mut lines = bytes.splitn(3, |&b| b == b'\n');
    let first = lines.next()?;
    // The declaration counts on the second line only when the first is blank or a comment.
    let first_allows_second = {
        let trimmed = trim_start(first);
        trimmed.is_empty() || trimmed.starts_with(b"#") || trimmed == b"\r"
    };
    let candidates = std::iter::once(first).chain(lines.next().filter(|_| first_allows_second));
    for line in candidates {
        if let Some(name) = coding_in(line) {
            return Some(name);
        }
    }
    None
}

/// `coding[:=]\s*([-\w.]+)` in a comment line.
fn coding_in(line: &[u8]) -> Option<&str> {
    let line = trim_start(line);
    if !line.starts_with(b"#") {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let at = text.find("coding")?;
    let rest = &text[at + "coding".len()..];
    let rest = rest.strip_prefix([':', '='])?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

fn trim_start(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))
        .unwrap_or(line.len());
    &line[start..]
}

/// The codec for a Python encoding name (`latin-1`, `iso-8859-15`, `koi8_r`, `big5`).
fn codec(name: &str) -> Option<&'static Encoding> {
    let normalized = name.to_ascii_lowercase().replace('_', "-");
    let label = match normalized.as_str() {
        "utf-8" | "utf8" | "utf-8-sig" => "utf-8",
        // CPython's latin-1 has no WHATWG label of its own; windows-1252 agrees with it except
        // for the C1 control characters 0x80-0x9f, which real source text does not use.
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "iso-latin-1" | "l1" | "cp819" => {
            "iso-8859-1"
        }
        "cp1252" => "windows-1252",
        "cp1251" => "windows-1251",
        "cp1250" => "windows-1250",
        "cp932" | "ms932" | "mskanji" | "shift-jis" | "sjis" => "shift_jis",
        "cp936" | "ms936" => "gbk",
        "cp949" | "uhc" => "euc-kr",
        "cp950" | "ms950" => "big5",
        "euc-jp" | "eucjp" => "euc-jp",
        "koi8-r" | "koi8r" => "koi8-r",
        "koi8-u" | "koi8u" => "koi8-u",
        other => other,
    };
    Encoding::for_label(label.as_bytes())
}

/// Source bytes as text, decoded the way CPython would, or why they cannot be.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    let declared = declared(bytes);
    let encoding = match declared {
        _ if bytes.starts_with(BOM) => encoding_rs::UTF_8,
        None => encoding_rs::UTF_8,
        Some(name) => codec(name)
            .ok_or_else(|| format!("declares the encoding `{name}`, which snarl does not know"))?,
    };
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|e| {
            format!(
                "not valid UTF-8 (first bad byte at offset {})",
                e.valid_up_to()
            )
        });
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(format!(
            "not valid {} (as its coding declaration says)",
            encoding.name()
        ));
    }
    Ok(text)
}

/// `text` encoded back the way `original` (its source bytes) was: in the declared encoding, for
/// writing a fixed file. `None` when the text cannot be represented there.
pub fn encode_like(text: &str, original: &[u8]) -> Option<Vec<u8>> {
    let encoding = match declared(original) {
        _ if original.starts_with(BOM) => encoding_rs::UTF_8,
        None => encoding_rs::UTF_8,
        Some(name) => codec(name)?,
    };
    if encoding == encoding_rs::UTF_8 {
        return Some(text.as_bytes().to_vec());
    }
    let (bytes, _, unmappable) = encoding.encode(text);
    (!unmappable).then(|| bytes.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_on_the_first_two_lines() {
        assert_eq!(
            declared(b"# -*- coding: latin-1 -*-\nx = 1\n"),
            Some("latin-1")
        );
        assert_eq!(
            declared(b"#!/usr/bin/env python\n# coding=koi8-r\n"),
            Some("koi8-r")
        );
        assert_eq!(declared(b"x = 1\n# coding: latin-1\n"), None);
        assert_eq!(declared(b"# vim: set fileencoding=big5 :\n"), Some("big5"));
        assert_eq!(declared(b"# no declaration\n\n# coding: latin-1\n"), None);
        assert_eq!(declared(b"x = '# coding: latin-1'\n"), None);
    }

    #[test]
    fn decodes_declared_encodings_and_refuses_bad_utf8() {
        let latin = b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n";
        assert_eq!(
            decode(latin).unwrap(),
            "# -*- coding: latin-1 -*-\nname = 'été'\n"
        );
        let cyrillic = b"# coding: koi8-r\ns = '\xd0\xd2\xc9\xd7\xc5\xd4'\n";
        assert!(decode(cyrillic).unwrap().contains("привет"));
        assert!(decode(b"x = '\xff'\n")
            .unwrap_err()
            .contains("not valid UTF-8"));
        assert!(decode(b"# coding: klingon\nx = 1\n")
            .unwrap_err()
            .contains("klingon"));
        // A BOM means UTF-8 whatever the declaration says.
        assert_eq!(
            decode(b"\xef\xbb\xbf# coding: latin-1\nx = 1\n").unwrap(),
            "\u{feff}# coding: latin-1\nx = 1\n"
        );
    }

    #[test]
    fn encodes_back_in_the_declared_encoding() {
        let latin = b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n";
        let text = decode(latin).unwrap().into_owned();
        assert_eq!(encode_like(&text, latin).unwrap(), latin.to_vec());
        assert_eq!(
            encode_like("x = 1\n", b"x = 2\n").unwrap(),
            b"x = 1\n".to_vec()
        );
        assert_eq!(encode_like("s = '€ 中'\n", latin), None);
    }
}
