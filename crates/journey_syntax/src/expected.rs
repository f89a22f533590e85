//! Turns pest's "expected one of these rules" into words. Every rule of the grammar is
//! named in [`describe_rule`], an exhaustive match, so adding a rule to the grammar
//! without describing it is a compile error, and no raw rule name reaches a user.

use crate::ast::Span;
use crate::parser::Rule;
use journey_diagnostics::{Diagnostic, FileId};
use pest::error::{Error, ErrorVariant, InputLocation};
use std::collections::BTreeSet;

/// How a rule reads in "expected …", or `None` for rules that never surface on their
/// own (they are always reported through a more telling rule).
pub fn describe_rule(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        EOI => "end of file",
        file | WHITESPACE | COMMENT | item | channel_setting | policy_setting | journey_item | step | prefix_op
        | postfix_op | infix_op | cmp_op_inner | primary | literal | ident_char | reserved | string_inner | decimal
        | entry_or_ahead | wait_or_ahead => return None,
        event_decl => "an event declaration",
        property_list => "a property list `{ name: type, … }`",
        property => "a property `name: type`",
        attribute_decl => "an attribute declaration",
        type_expr => "a type (text, number, money, bool, time, date, timezone, duration or one_of(…))",
        one_of_type => "`one_of(\"a\", \"b\")`",
        channel_decl => "a channel declaration",
        channel_kind => "`kind`",
        channel_consent => "`consent`",
        channel_quiet => "`quiet_hours`",
        channel_cap => "`cap`",
        channel_min_gap => "`min_gap`",
        channel_category => "`category`",
        zone => "`local` or a time zone name in quotes",
        audience_decl => "an audience declaration",
        policy_decl => "a policy block",
        policy_cap => "`cap`",
        channel_set => "`any` or a list of channels",
        policy_min_gap => "`min_gap`",
        policy_quiet_days => "`quiet_days`",
        day_ref => "a weekday or a date",
        policy_conflict => "`conflicting`",
        journey_decl => "a journey",
        journey_title => "`title`",
        journey_owner => "`owner`",
        journey_priority => "`priority`",
        journey_tags => "`tags`",
        journey_entry => "`entry`",
        journey_audience => "`audience`",
        journey_re_entry => "`re_entry`",
        re_entry_after => "`after`",
        journey_exit => "`exit`",
        journey_holdout => "`holdout`",
        entry_event => "`on EVENT`",
        entry_audience => "`when audience NAME entered`",
        audience_edge => "`entered` or `exited`",
        entry_schedule => "`every …`",
        schedule_period => "a period (`day`, `weekday`, `monday`, … or `month on N`)",
        schedule_monthly => "`month on N`",
        entry_date => "`at DATE_ATTRIBUTE`",
        // several triggers, any of several events
        entry_or => "`or on EVENT`",
        wait_for_or => "`or EVENT`",
        entry_where | wait_where => "`where`",
        entry_expr | wait_expr => "an expression",
        offset => "an offset like `- 30d`",
        sign => "`+` or `-`",
        exit_on_event => "`on EVENT`",
        exit_when => "`when CONDITION`",
        where_clause => "`where`",
        tag_list => "a tag list `[a, b]`",
        stage_decl => "`stage`",
        send_step => "`send`",
        wait_step | wait_until_step | wait_for_step => "`wait`",
        wait_time => "a time of day",
        branch_step => "`branch`",
        branch_arm => "`when CONDITION -> TARGET`",
        else_arm => "`else -> TARGET`",
        split_step => "`split`",
        split_arm => "a weighted arm `50% -> TARGET`",
        set_step => "`set`",
        task_step => "`task`",
        webhook_step => "`webhook`",
        goto_step => "`goto`",
        end_step => "`end`",
        target => "a stage name, `end` or `journey NAME`",
        target_journey => "`journey NAME`",
        goal_decl => "`goal`",
        goal_reach => "`reach STAGE`",
        goal_event => "an event name",
        goal_amount => "`sum(EVENT.PROPERTY within DURATION)`",
        guardrail_decl => "`guardrail`",
        assume_decl => "`assume`",
        effect => "an effect like `+3pp` or `-5%`",
        expr => "an expression",
        op_not => "`not`",
        op_is => "`is`",
        op_is_set => "`is set`",
        op_or => "`or`",
        op_and => "`and`",
        op_in => "`in`",
        op_add => "`+`",
        op_sub => "`-`",
        cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        op_le => "`<=`",
        op_ge => "`>=`",
        op_ne => "`!=`",
        op_eq => "`==`",
        op_lt => "`<`",
        op_gt => "`>`",
        paren => "`(`",
        call => "a function call",
        call_arg => "an argument",
        path => "a name",
        list => "a list `[…]`",
        money => "an amount of money",
        currency => "a currency code like USD",
        percent => "a percentage like 10%",
        duration => "a duration like 30m, 4h, 3d or 2w",
        date => "a date like 2026-12-24",
        time_of_day => "a time of day like 09:00",
        number => "a number",
        integer => "a whole number",
        boolean => "`true` or `false`",
        string => "a string in double quotes",
        escape => "an escape (\\\", \\\\, \\n or \\t)",
        ident => "a name",
        kw_event => "`event`",
        kw_attribute => "`attribute`",
        kw_one_of => "`one_of`",
        kw_channel => "`channel`",
        kw_kind => "`kind`",
        kw_consent => "`consent`",
        kw_quiet_hours => "`quiet_hours`",
        kw_cap => "`cap`",
        kw_per => "`per`",
        kw_min_gap => "`min_gap`",
        kw_category => "`category`",
        kw_local => "`local`",
        kw_audience => "`audience`",
        kw_policy => "`policy`",
        kw_any => "`any`",
        kw_quiet_days => "`quiet_days`",
        kw_conflicting => "`conflicting`",
        kw_journey => "`journey`",
        kw_title => "`title`",
        kw_owner => "`owner`",
        kw_priority => "`priority`",
        kw_tags => "`tags`",
        kw_entry => "`entry`",
        kw_re_entry => "`re_entry`",
        kw_never => "`never`",
        kw_always => "`always`",
        kw_after => "`after`",
        kw_exit => "`exit`",
        kw_holdout => "`holdout`",
        kw_on => "`on`",
        kw_when => "`when`",
        kw_entered => "`entered`",
        kw_exited => "`exited`",
        kw_every => "`every`",
        kw_at => "`at`",
        kw_month => "`month`",
        kw_where => "`where`",
        kw_stage => "`stage`",
        kw_send => "`send`",
        kw_wait => "`wait`",
        kw_until => "`until`",
        kw_up => "`up`",
        kw_to => "`to`",
        kw_for => "`for`",
        kw_then => "`then`",
        kw_timeout => "`timeout`",
        kw_branch => "`branch`",
        kw_else => "`else`",
        kw_split => "`split`",
        kw_set => "`set`",
        kw_task => "`task`",
        kw_assign => "`assign`",
        kw_webhook => "`webhook`",
        kw_goto => "`goto`",
        kw_end => "`end`",
        kw_goal => "`goal`",
        kw_reach => "`reach`",
        kw_within => "`within`",
        kw_sum => "`sum`",
        kw_guardrail => "`guardrail`",
        kw_assume => "`assume`",
        kw_true => "`true`",
        kw_false => "`false`",
        // issue 15: arithmetic and scores
        score_decl => "a score declaration",
        entry_condition => "`when CONDITION`",
        journey_active => "`active from DATE to DATE`",
        journey_for => "`for account`",
        kw_active => "`active`",
        kw_from => "`from`",
        kw_account => "`account`",
        account_scope => "`account`",
        kw_score => "`score`",
        op_mul => "`*`",
        op_div => "`/`",
        // issue 15: business days
        wait_business_step => "`wait`",
        business_days => "a number of business days like `3 business days`",
        kw_business => "`business`",
        kw_days => "`days`",
        // issue 15: CSM tasks
        task_owner => "`owner`",
        task_owner_attr => "`attribute`",
        task_queue => "`else queue`",
        task_due => "`due`",
        due_span => "a delay like `2 days` or `4 hours`",
        task_priority => "`priority`",
        kw_queue => "`queue`",
        kw_due => "`due`",
        kw_hours => "`hours`",
    })
}

/// Groups of alternatives that read better as one phrase than as a list.
const GROUPS: &[(&[Rule], &str)] = {
    use Rule::*;
    &[
        (
            // attribute_decl: pest names the rule itself when `account attribute …`
            // fails at its optional first word
            &[
                kw_event,
                kw_attribute,
                kw_account,
                attribute_decl,
                kw_channel,
                kw_audience,
                kw_policy,
                kw_journey,
                kw_score,
            ],
            "a declaration (`event`, `attribute`, `channel`, `audience`, `score`, `policy` or `journey`)",
        ),
        (
            &[
                kw_title,
                kw_owner,
                kw_priority,
                kw_tags,
                kw_entry,
                kw_re_entry,
                kw_exit,
                kw_holdout,
                kw_stage,
                kw_goal,
                kw_guardrail,
                kw_assume,
                kw_active,
            ],
            "a journey setting (`entry`, `stage`, `goal`, `exit`, …)",
        ),
        (
            &[kw_send, kw_wait, kw_branch, kw_split, kw_set, kw_task, kw_webhook, kw_goto, kw_end],
            "a step (`send`, `wait`, `branch`, `split`, `set`, `task`, `webhook`, `goto` or `end`)",
        ),
        (
            &[kw_kind, kw_consent, kw_quiet_hours, kw_cap, kw_min_gap, kw_category],
            "a channel setting (`kind`, `consent`, `quiet_hours`, `cap`, `min_gap` or `category`)",
        ),
        (
            &[kw_cap, kw_min_gap, kw_quiet_days, kw_conflicting],
            "a policy setting (`cap`, `min_gap`, `quiet_days` or `conflicting`)",
        ),
        (&[money, percent, duration, date, time_of_day, number, string], "a value"),
        (&[op_or, op_and, op_in, op_add, op_sub, op_mul, op_div, op_is, op_is_set], "an operator"),
        (&[op_le, op_ge, op_ne, op_eq, op_lt, op_gt], "an operator"),
    ]
};

/// Build the J001 diagnostic for a failed parse. `detailed` is the error of a second
/// parse run with pest's attempt tracking on: it also knows the literal tokens (`,`,
/// `}`) that were expected, which plain errors leave out.
pub(crate) fn syntax_error(
    err: &Error<Rule>,
    detailed: Option<&Error<Rule>>,
    source: &str,
    file: FileId,
) -> Diagnostic {
    let mut pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let (mut expected, unexpected) = match &err.variant {
        ErrorVariant::ParsingError { positives, negatives } => (words(positives), words(negatives)),
        ErrorVariant::CustomError { message } => (vec![message.clone()], vec![]),
    };
    if let Some(attempts) = detailed.and_then(|d| d.parse_attempts()) {
        if attempts.max_position >= pos {
            // Rules the parser tried at the furthest point, plus literal tokens mapped
            // back to the keyword rule that spells them, so groups can absorb them.
            let mut rules: Vec<Rule> = match (&err.variant, attempts.max_position == pos) {
                (ErrorVariant::ParsingError { positives, .. }, true) => positives.clone(),
                _ => Vec::new(),
            };
            rules.extend(attempts.call_stacks().iter().filter_map(|c| c.deepest.get_rule().copied()));
            let mut punctuation = Vec::new();
            for t in attempts.expected_tokens() {
                // pest does not export its token type; its Display is the literal for
                // plain tokens, `a..z` for ranges and BUILTIN_RULE for built-ins
                let token = t.to_string();
                let is_range = token.chars().count() == 4 && token.chars().nth(1) == Some('.');
                if is_range
                    || token == "BUILTIN_RULE"
                    || token.trim().is_empty()
                    || token == "//"
                    || token == "/*"
                    || token == "\u{feff}"
                {
                    // (a byte-order mark is allowed at the start, never worth asking for)
                    continue;
                }
                match keyword_rule(&token) {
                    Some(rule) => rules.push(rule),
                    None => punctuation.push(format!("`{token}`")),
                }
            }
            // A container that "failed" only because its closing token is missing is
            // said better by that token.
            if !punctuation.is_empty() {
                rules.retain(|r| {
                    !matches!(r, Rule::property_list | Rule::tag_list | Rule::list | Rule::paren | Rule::call)
                });
            }
            let mut merged = words(&rules);
            // Tokens that only repeat what a described rule already says.
            let implied = |p: &str| match p {
                "`\"`" => merged.iter().any(|m| m.starts_with("a string")),
                "`_`" => merged.iter().any(|m| m == "a name"),
                "`%`" | "`.`" => merged.iter().any(|m| m.starts_with("a percentage") || m.starts_with("a number")),
                _ => false,
            };
            let punctuation: Vec<String> = punctuation.into_iter().filter(|p| !implied(p)).collect();
            for p in punctuation {
                if !merged.contains(&p) {
                    merged.push(p);
                }
            }
            if !merged.is_empty() {
                pos = attempts.max_position;
                expected = merged;
            }
        }
    }
    let found = token_at(source, pos);
    let found_text = match found {
        None => "the end of the file".to_string(),
        Some(s) if source[s.range()].starts_with(['\n', '\r']) => "the end of the line".to_string(),
        Some(s) if source[s.range()].trim().is_empty() => "a space".to_string(),
        Some(s) => format!("`{}`", shortened(&source[s.range()])),
    };
    let span = found.unwrap_or_else(|| Span::new(source.len(), source.len()));
    let message = if !expected.is_empty() {
        format!("expected {}, found {}", join_or(&expected), found_text)
    } else if !unexpected.is_empty() {
        format!("unexpected {}", join_or(&unexpected))
    } else {
        format!("unexpected {found_text}")
    };
    let label =
        if expected.is_empty() { "not expected here".to_string() } else { format!("expected {}", join_or(&expected)) };
    let mut diag = Diagnostic::new("J001", message).primary(file, span, label);
    if let Some(help) = help_for(source, span, &expected) {
        diag = diag.help(help);
    }
    diag
}

/// The keyword or operator rule whose description is exactly this token in backticks
/// (`kw_event` for `event`), found among all rules so new keywords need no list here.
fn keyword_rule(token: &str) -> Option<Rule> {
    let quoted = format!("`{token}`");
    Rule::all_rules()
        .iter()
        .copied()
        .filter(|r| matches!(format!("{r:?}").split('_').next(), Some("kw" | "op")))
        .find(|r| describe_rule(*r) == Some(quoted.as_str()))
}

fn words(rules: &[Rule]) -> Vec<String> {
    let set: BTreeSet<Rule> = rules.iter().copied().collect();
    let mut covered = BTreeSet::new();
    let mut out: Vec<String> = Vec::new();
    for (members, phrase) in GROUPS {
        let hits = members.iter().filter(|r| set.contains(r)).count();
        // a group reads better when most of it is on offer
        if hits >= 3 && hits * 2 >= members.len() {
            covered.extend(members.iter().copied());
            if !out.iter().any(|w| w == phrase) {
                out.push(phrase.to_string());
            }
        }
    }
    for r in &set {
        if covered.contains(r) {
            continue;
        }
        if let Some(w) = describe_rule(*r) {
            if !out.iter().any(|o| o == w) {
                out.push(w.to_string());
            }
        }
    }
    out
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token starting at `pos`: a word, a number-ish run, a string, or one character.
fn token_at(source: &str, pos: usize) -> Option<Span> {
    let rest = source.get(pos..)?;
    let first = rest.chars().next()?;
    let len = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == ':' || c == '%'))
            .unwrap_or(rest.len())
    } else if first == '"' {
        rest[1..].find(['"', '\n']).map_or(rest.len(), |i| i + 2).min(rest.len())
    } else {
        first.len_utf8()
    };
    Some(Span::new(pos, pos + len))
}

fn help_for(source: &str, span: Span, expected: &[String]) -> Option<String> {
    let found = &source[span.range()];
    let reserved = ["and", "or", "not", "in", "true", "false", "then", "timeout", "within", "where", "else", "end"];
    if expected.iter().any(|e| e == "a name") && reserved.contains(&found) {
        return Some(format!("`{found}` is a reserved word and cannot be used as a name"));
    }
    if found == "=" && expected.iter().any(|e| e.contains("operator") || e.contains("comparison")) {
        return Some("to compare, write `==`".to_string());
    }
    if found.chars().next().is_some_and(|c| c.is_ascii_digit()) && found.ends_with(['s', 'y']) {
        return Some("durations use m, h, d or w (minutes, hours, days, weeks)".to_string());
    }
    if found == "'" {
        return Some("strings use double quotes".to_string());
    }
    // issue 15: `goal revenue = sum(purchase.amount, 30d)` or `sum(…) within 30d`,
    // written as in conditions or as the other goals
    let line = &source[source[..span.start as usize].rfind('\n').map_or(0, |i| i + 1)..span.start as usize];
    let goal_sum = line.trim_start().starts_with("goal") && line.contains("sum(") && !line.contains(" within ");
    if goal_sum && (found == "," || found == ")") {
        return Some(
            "an amount goal takes its window inside the parentheses: `sum(EVENT.PROPERTY within 30d)`".to_string(),
        );
    }
    if found.is_empty() {
        return Some("a `{` may be missing its `}`".to_string());
    }
    None
}

/// A found token as quoted in a message: a long one (a multi-megabyte string) cut to
/// its first 40 characters and `…`; the snippet under the message shows where it is.
fn shortened(token: &str) -> std::borrow::Cow<'_, str> {
    match token.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &token[..i]).into(),
        None => token.into(),
    }
}
