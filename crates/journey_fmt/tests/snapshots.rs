//! Snapshots of the canonical form of deliberately messy input. Review a changed
//! snapshot by reading it: it is the style guide, by example.

mod common;

use common::assert_canonical;

#[test]
fn messy_input() {
    let out = assert_canonical("messy", include_str!("data/messy.journey"));
    insta::assert_snapshot!("messy", out);
}

#[test]
fn everything_on_one_line() {
    let src = r#"event purchase { amount: money } attribute email_opt_in: bool channel email { consent email_opt_in cap 3 per 7d } audience buyers = count(purchase) >= 1 journey j { entry on purchase stage a { send email "x" wait 1d send email "y" end } }"#;
    let out = assert_canonical("one line", src);
    insta::assert_snapshot!("one_line", out);
}

#[test]
fn comments_everywhere() {
    let src = "// a\nevent /* b */ e // c\n// d\n\n\n// e\njourney /* f */ j /* g */ { // h\n  // i\n  stage s { /* j */ end /* k */ } // l\n  // m\n} // n\n\n\n// o\n";
    let out = assert_canonical("comments", src);
    insta::assert_snapshot!("comments", out);
}
