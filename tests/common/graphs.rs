//! What the graph tests share: the conditions a project's journeys write, its journey
//! names, and a project whose labels need escaping in every drawing target.

use super::{code, files, journey, stderr, stdout};
use std::path::Path;

/// Every `when COND -> target` condition written in a project's journey files.
#[allow(dead_code)]
pub fn conditions(project: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in files(project, &[".journey"]) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("when ") {
                if let Some((cond, _)) = rest.rsplit_once(" -> ") {
                    out.push(cond.trim().to_string());
                }
            }
        }
    }
    out
}

/// The names of a project's journeys, from its compiled IR.
#[allow(dead_code)]
pub fn journeys(project: &Path) -> Vec<String> {
    let out = journey(&["compile"], project);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    ir["journeys"].as_array().unwrap().iter().map(|j| j["name"].as_str().unwrap().to_string()).collect()
}

/// Labels that need escaping in DOT and Mermaid: quotes, `<`, `>`, `&`, `#`, a
/// filter and money.
const TRICKY: &str = r#"event cart_abandon { cart_value: money }
event visit { page: text }

attribute email_opt_in: bool
attribute nickname: text

channel email {
  kind email
}

journey tricky {
  entry on cart_abandon
  audience email_opt_in

  stage s {
    branch {
      when count(cart_abandon where cart_value >= $40, 3d) >= 1 -> a
      when nickname == "<today> & more #1" -> b
      when count(visit where page != "a&b<c>", 7d) >= 2 -> b
      else -> end
    }
  }

  stage a {
    send email "a & more <today>"
    end
  }

  stage b {
    send email "b"
    end
  }
}
"#;

/// A project holding only [`TRICKY`], checked canonical first (the drawings are
/// compared with its source text).
#[allow(dead_code)]
pub fn tricky_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: USD\n").unwrap();
    std::fs::write(dir.path().join("tricky.journey"), TRICKY).unwrap();
    let out = journey(&["fmt", "--check"], dir.path());
    assert_eq!(code(&out), 0, "the fixture is canonical: {}{}", stdout(&out), stderr(&out));
    dir
}

/// The journeys of this fixture write what a label lost: `local` on a scheduled entry
/// and a wait, the time of day of a date entry, the filters of a wait (money, a text
/// that needs escaping, several events), a named zone.
const WRITTEN: &str = r#"event purchase { amount: money, category: text }
event visit { page: text }

attribute renewal_date: date
attribute email_opt_in: bool

channel email {
  kind email
}

journey weekly {
  entry every sunday at 08:00 local
  re_entry always
  audience email_opt_in

  stage s {
    wait until 09:30 local
    wait until 18:00 "Europe/London"
    wait until renewal_date - 3d
    wait up to 3d for purchase where amount > $50 and category != "a&b" or visit where page == "<x> #1"
      then thanks
      timeout end
  }

  stage thanks {
    split test {
      50% -> end
      50% -> more
    }
  }

  stage more {
    send email "thanks \"vip\""
    wait 2 business days
    end
  }
}

journey renewal_notice {
  entry at renewal_date - 3d at 10:00
  re_entry after 300d

  stage s {
    send email "renewal"
    end
  }
}
"#;

/// A project holding only [`WRITTEN`], checked canonical first (the drawings are
/// compared with its source lines).
#[allow(dead_code)]
pub fn written_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("journey.yaml"), "timezone: UTC\ncurrency: USD\n").unwrap();
    std::fs::write(dir.path().join("written.journey"), WRITTEN).unwrap();
    let out = journey(&["fmt", "--check"], dir.path());
    assert_eq!(code(&out), 0, "the fixture is canonical: {}{}", stdout(&out), stderr(&out));
    dir
}

/// Mermaid's entity codes in a label undone.
pub fn mermaid_unescape(s: &str) -> String {
    s.replace("#quot;", "\"")
        .replace("#lt;", "<")
        .replace("#gt;", ">")
        .replace("#96;", "`")
        .replace("#35;", "#")
        .replace("#amp;", "&")
}
