//! issue 15, accounts: the accounts a program with `for account` journeys runs on.
//!
//! A `for account` journey runs in a state of its own per account, next to the
//! customers' states: its subject is the account (the account's values, and every event
//! of every one of its customers as the account's own), and its messages go to the
//! account's admins. The caller (journey_run) knows the accounts before the replay
//! starts, from the attribute snapshot and the account file, so the admins of an
//! account are known from its first event on, whether or not they have events of their
//! own.
//!
//! An account state's actions name it by an id with [`ACCOUNT`] set (its index in the
//! [`AccountBook`]); a message delivered to an admin names the admin by an id with
//! [`ADMIN`] set (their index in [`AccountBook::admin_keys`]), so a trace shows who got
//! it although the admin may have no id of the log's.

use crate::AttrValue;
use journey_events::CustomerId;
use std::collections::HashMap;

/// The bit of a [`CustomerId`] that says it names an account (see the module docs).
pub const ACCOUNT: u32 = 1 << 31;
/// The bits of a [`CustomerId`] that say it names an account's admin.
pub const ADMIN: u32 = 1 << 31 | 1 << 30;
const INDEX: u32 = (1 << 30) - 1;

/// What an id of an action names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Customer(CustomerId),
    /// An index into [`AccountBook::accounts`].
    Account(usize),
    /// An index into [`AccountBook::admin_keys`].
    Admin(usize),
}

pub fn subject(id: CustomerId) -> Subject {
    match id.0 {
        x if x & ADMIN == ADMIN => Subject::Admin((x & INDEX) as usize),
        x if x & ACCOUNT == ACCOUNT => Subject::Account((x & INDEX) as usize),
        _ => Subject::Customer(id),
    }
}

/// The account id a customer's value of `events.account` names, as the drivers and
/// the callers' account books key it: a text (not empty) or a number written as text.
pub fn account_key(v: &AttrValue) -> Option<String> {
    match v {
        AttrValue::Text(t) if !t.is_empty() => Some(t.to_string()),
        AttrValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One account: its id, its values (the state's attributes) and its admins.
#[derive(Debug, Clone, Default)]
pub struct AccountEntry {
    pub key: String,
    /// The account's row, in `Program::attributes` order: the values a `for account`
    /// journey reads (account attributes from the account file where it has them).
    pub attributes: Vec<AttrValue>,
    /// Customers of the account.
    pub customers: u64,
    /// Its admins: indexes into [`AccountBook::admins`].
    pub admins: Vec<u32>,
}

/// An admin: their key and their own row (consent and suppression are theirs).
#[derive(Debug, Clone, Default)]
pub struct Admin {
    pub key: String,
    pub attributes: Vec<AttrValue>,
}

/// Every account, in the order the caller found them (deterministic: the snapshot's
/// row order), and the index from an account id to its place.
#[derive(Debug, Clone, Default)]
pub struct AccountBook {
    pub accounts: Vec<AccountEntry>,
    pub admins: Vec<Admin>,
    index: HashMap<String, u32>,
}

impl AccountBook {
    /// The account named `key`, added (with `attributes` as its row) when new.
    pub fn account(&mut self, key: &str, attributes: impl FnOnce() -> Vec<AttrValue>) -> usize {
        let next = self.accounts.len() as u32;
        let k = *self.index.entry(key.to_string()).or_insert(next);
        if k == next {
            assert!(next < INDEX, "more than a billion accounts");
            self.accounts.push(AccountEntry { key: key.to_string(), attributes: attributes(), ..Default::default() });
        }
        k as usize
    }

    /// The admin of account `account` whose key is `key` (an index into
    /// [`AccountBook::admins`]), if they are one.
    pub fn admin_of(&self, account: usize, key: &str) -> Option<u32> {
        let entry = self.accounts.get(account)?;
        entry.admins.iter().copied().find(|&i| self.admins[i as usize].key == key)
    }

    pub fn add_admin(&mut self, account: usize, admin: Admin) {
        let i = self.admins.len() as u32;
        assert!(i < INDEX, "more than a billion admins");
        self.admins.push(admin);
        self.accounts[account].admins.push(i);
    }

    pub fn find(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&k| k as usize)
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// The id an account state's actions carry.
    pub fn account_id(k: usize) -> CustomerId {
        CustomerId(ACCOUNT | k as u32)
    }

    /// The id a message to admin `i` carries.
    pub fn admin_id(i: u32) -> CustomerId {
        CustomerId(ADMIN | i)
    }

    /// The key of what `id` names, when it names an account or an admin.
    pub fn key(&self, id: CustomerId) -> Option<&str> {
        match subject(id) {
            Subject::Account(k) => self.accounts.get(k).map(|a| a.key.as_str()),
            Subject::Admin(i) => self.admins.get(i).map(|a| a.key.as_str()),
            Subject::Customer(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_say_what_they_name() {
        assert_eq!(subject(CustomerId(7)), Subject::Customer(CustomerId(7)));
        assert_eq!(subject(AccountBook::account_id(7)), Subject::Account(7));
        assert_eq!(subject(AccountBook::admin_id(7)), Subject::Admin(7));
        assert_eq!(subject(CustomerId(INDEX)), Subject::Customer(CustomerId(INDEX)));
    }

    #[test]
    fn an_account_is_added_once() {
        let mut book = AccountBook::default();
        let a = book.account("clinic-a", Vec::new);
        let b = book.account("clinic-b", Vec::new);
        assert_eq!(book.account("clinic-a", || panic!("not new")), a);
        assert_ne!(a, b);
        book.add_admin(a, Admin { key: "u1".into(), ..Default::default() });
        assert_eq!(book.key(AccountBook::admin_id(0)), Some("u1"));
        assert_eq!(book.key(AccountBook::account_id(b)), Some("clinic-b"));
    }
}
