//! IAM wildcard patterns: matching a pattern against a concrete action or
//! ARN, and comparing two patterns with each other.
//!
//! # Contract
//!
//! * [`action_matches`] matches an `Action` pattern against `service:Action`
//!   ASCII case-insensitively: IAM says "the prefix and the action name are
//!   case insensitive"
//!   (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>).
//!   `*` matches any run of characters (also the empty run), `?` exactly one
//!   character. Text is treated as `char`s, so `?` matches one non-ASCII
//!   character too.
//! * [`resource_matches`] matches a `Resource` pattern against a concrete ARN,
//!   case-sensitively, following
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>
//!   ("Using wildcards in resource ARNs"). `"*"` matches anything. A pattern
//!   that starts with `arn:` and has at least five colons is split into the
//!   six ARN parts `arn:partition:service:region:account:resource` (the
//!   resource part keeps any further colons, see
//!   <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>),
//!   and each part is matched against the same part of the ARN:
//!   - wildcards work "within the individual segments of an ARN (the parts
//!     separated by colons)": in the partition, service, region and account
//!     parts `?` never matches `:` and a `*` stays inside its part;
//!   - except that "if the `*` wildcard is the last character of a resource
//!     ARN segment, it can expand to match beyond the colon boundaries": a
//!     `*` that ends one of those four parts may also match colons;
//!   - in the resource part every wildcard may match `/` and `:` (the page's
//!     S3 example `arn:aws:s3:::amzn-s3-demo-bucket/*/test/*` shows `*`
//!     spanning `/`).
//!
//!   (The older S3 user guide,
//!   <https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html>,
//!   still says "a wildcard cannot span segments"; the IAM page's exception
//!   for a segment-final `*` is followed here.)
//!
//!   Any other pattern (for example `arn:aws:s3:*`, which has too few colons)
//!   is matched as a glob over the whole string. Policy variables (`${...}`)
//!   are not interpreted: substitute them before calling.
//! * [`glob_covers`] / [`resource_covers`] decide language containment: every
//!   string matched by the specific pattern is matched by the general one.
//!   [`glob_overlaps`] / [`resource_overlaps`] decide whether some string is
//!   matched by both. They use exactly the languages the matchers above
//!   accept, so for instance `resource_covers(g, s)` is true iff
//!   `resource_matches(s, x)` implies `resource_matches(g, x)` for every
//!   string `x`.
//!
//! # Algorithms and cost
//!
//! Matching simulates the pattern's automaton (or, for plain globs, uses the
//! classic backtrack-to-last-star scan): `O(|pattern| * |text|)` time in the
//! worst case, no recursion. Overlap is reachability in the product of the
//! two patterns' automata, `O(|a| * |b|)` time and `O(|b|)` memory.
//!
//! Containment has a fast, sound `O(|g| * |s|)` dynamic programme (a `*` of
//! the general pattern absorbs any run of the specific pattern's symbols, a
//! `?` absorbs one `?` or literal, a literal only itself). That programme
//! alone is *not* complete: `a*a` is contained in `*a?*` (every string that
//! starts and ends with `a` and has length two or more has an `a` followed by
//! a character), yet no symbol-to-symbol alignment proves it. When it fails,
//! an exact search over the product of the specific pattern's automaton and
//! the determinised general automaton decides the question and yields a
//! counterexample. The alphabet of that search is the literal characters of
//! both patterns plus one symbol standing for every other character, which is
//! what makes it exact over the (unbounded) Unicode alphabet. Containment
//! with `?` is a hard problem in general, so the search has a budget; it is
//! only reached by adversarial patterns with long runs of `?` after a `*`.
//! On exhaustion [`Containment::Undecided`] is returned and the boolean
//! helpers answer `false` ("not proven"), which keeps them sound.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Most distinct states of the determinised general pattern the exact
/// containment search may create before giving up.
const MAX_DFA_STATES: usize = 16_384;

/// Most (specific position, general state) pairs the exact containment
/// search may visit before giving up.
const MAX_SEARCH_NODES: usize = 262_144;

/// Outcome of a containment question "is every string matched by `specific`
/// also matched by `general`?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Containment {
    /// Every string matched by the specific pattern is matched by the general
    /// one.
    Covered,
    /// `witness` is matched by the specific pattern but not by the general
    /// one. Characters that stand for "any other character" are rendered as
    /// a character that occurs in neither pattern (never `:`).
    NotCovered {
        /// A string in the specific pattern's language only.
        witness: String,
    },
    /// The exact search ran out of budget (only adversarial patterns with
    /// long runs of `?` after a `*` get here). Callers must treat this as
    /// "not covered".
    Undecided,
}

impl Containment {
    /// True only for [`Containment::Covered`].
    pub fn is_covered(&self) -> bool {
        matches!(self, Containment::Covered)
    }
}

/// Whether IAM action pattern `pattern` (such as `s3:Get*` or
/// `iam:*AccessKey*`) matches `action` (`service:Action`).
///
/// ASCII case-insensitive, per the Action element page
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>:
/// `iam:ListAccessKeys` is the same as `IAM:listaccesskeys`). `*` matches any
/// run of characters (also none), `?` exactly one character.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob_matches(pattern, action, true)
}

/// Whether every action matched by action pattern `specific` is matched by
/// action pattern `general` (case-insensitive [`glob_covers`]).
pub fn action_covers(general: &str, specific: &str) -> bool {
    glob_covers(general, specific, true)
}

/// Whether some action is matched by both action patterns
/// (case-insensitive [`glob_overlaps`]).
pub fn action_overlaps(a: &str, b: &str) -> bool {
    glob_overlaps(a, b, true)
}

/// Whether glob `pattern` matches the whole of `text`.
///
/// `*` matches any run of characters (also none), `?` exactly one character;
/// every other character matches itself, ignoring ASCII case when
/// `case_insensitive` is set. There is no escape syntax. Runs in
/// `O(|pattern| * |text|)` time at worst without allocating.
pub fn glob_matches(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let same = |p: char, t: char| p == t || (case_insensitive && p.eq_ignore_ascii_case(&t));
    // Byte offsets of the next unmatched pattern and text characters.
    let (mut p, mut t) = (0, 0);
    // After the latest `*`: the pattern offset just past it, and the text
    // offset where the run it absorbs currently ends. On a mismatch the run
    // grows by one character and matching resumes there; an earlier `*`
    // never needs revisiting because the latest one can absorb anything the
    // earlier one could.
    let mut resume: Option<(usize, usize)> = None;
    while let Some(tc) = text[t..].chars().next() {
        match pattern[p..].chars().next() {
            Some('*') => {
                p += 1;
                resume = Some((p, t));
                continue;
            }
            Some(pc) if pc == '?' || same(pc, tc) => {
                p += pc.len_utf8();
                t += tc.len_utf8();
                continue;
            }
            _ => {}
        }
        let Some((star_p, star_t)) = resume else {
            return false;
        };
        // `star_t <= t < text.len()`, so there is a character to absorb.
        let Some(absorbed) = text[star_t..].chars().next() else {
            return false;
        };
        let grown = star_t + absorbed.len_utf8();
        resume = Some((star_p, grown));
        p = star_p;
        t = grown;
    }
    pattern[p..].chars().all(|c| c == '*')
}

/// True iff every string matched by glob `specific` (itself a pattern, with
/// `*` and `?`) is matched by glob `general`.
///
/// Exact for the glob language: for example `glob_covers("a*", "ab*")`,
/// `glob_covers("a?c", "abc")`, `glob_covers("*a?*", "a*a")` and
/// `glob_covers("?*", "*?")` are true, while `glob_covers("a*b", "a*")` and
/// `glob_covers("*ab*", "a*b")` (think `acb`) are false. Returns `false` in
/// the [`Containment::Undecided`] case; see [`glob_containment`].
pub fn glob_covers(general: &str, specific: &str, case_insensitive: bool) -> bool {
    general == "*"
        || general == specific
        || glob_containment(general, specific, case_insensitive).is_covered()
}

/// Decides [`glob_covers`], with a counterexample when it does not hold.
pub fn glob_containment(general: &str, specific: &str, case_insensitive: bool) -> Containment {
    containment(
        &glob_tokens(general, case_insensitive),
        &glob_tokens(specific, case_insensitive),
    )
}

/// True iff some string is matched by both globs `a` and `b`.
/// `O(|a| * |b|)` time.
pub fn glob_overlaps(a: &str, b: &str, case_insensitive: bool) -> bool {
    tokens_overlap(
        &glob_tokens(a, case_insensitive),
        &glob_tokens(b, case_insensitive),
    )
}

/// Whether `pattern` is treated as an ARN pattern by [`resource_matches`]:
/// it starts with `arn:` and has at least five colons, so it splits into the
/// six ARN parts.
pub fn is_arn_pattern(pattern: &str) -> bool {
    pattern.starts_with("arn:") && pattern.bytes().filter(|&b| b == b':').count() >= 5
}

/// Whether `Resource` pattern `pattern` matches the concrete ARN `arn`,
/// case-sensitively.
///
/// Follows "Using wildcards in resource ARNs" in
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>:
/// `"*"` matches anything; an ARN pattern (see [`is_arn_pattern`]) is matched
/// part by part, where wildcards stay within the partition, service, region
/// and account parts except that a `*` ending one of those parts "can expand
/// to match beyond the colon boundaries", and wildcards in the resource part
/// may match `/` and `:`. Any other pattern is a whole-string glob.
pub fn resource_matches(pattern: &str, arn: &str) -> bool {
    if pattern == "*" {
        true
    } else if is_arn_pattern(pattern) {
        tokens_match(&arn_tokens(pattern), arn, false)
    } else {
        glob_matches(pattern, arn, false)
    }
}

/// True iff every string matched by resource pattern `specific` (under
/// [`resource_matches`]) is matched by resource pattern `general`. Returns
/// `false` in the [`Containment::Undecided`] case; see
/// [`resource_containment`].
pub fn resource_covers(general: &str, specific: &str) -> bool {
    general == "*" || general == specific || resource_containment(general, specific).is_covered()
}

/// Decides [`resource_covers`], with a counterexample when it does not hold.
pub fn resource_containment(general: &str, specific: &str) -> Containment {
    containment(&resource_tokens(general), &resource_tokens(specific))
}

/// True iff some string is matched (under [`resource_matches`]) by both
/// resource patterns. `O(|a| * |b|)` time.
pub fn resource_overlaps(a: &str, b: &str) -> bool {
    tokens_overlap(&resource_tokens(a), &resource_tokens(b))
}

// ---------------------------------------------------------------------------
// Patterns as token sequences.

/// One element of a compiled pattern. `colon` says whether a wildcard may
/// match the character `:` (false only inside the first five ARN parts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// Exactly this character (already ASCII-lowercased when comparing
    /// case-insensitively).
    Lit(char),
    /// `?`: exactly one character.
    One { colon: bool },
    /// `*`: any run of characters, also the empty one.
    Star { colon: bool },
}

impl Tok {
    fn is_star(self) -> bool {
        matches!(self, Tok::Star { .. })
    }

    fn accepts_char(self, c: char) -> bool {
        match self {
            Tok::Lit(d) => d == c,
            Tok::One { colon } | Tok::Star { colon } => colon || c != ':',
        }
    }

    fn accepts_sym(self, sym: Sym) -> bool {
        match sym {
            Sym::Ch(c) => self.accepts_char(c),
            // "Any other character" is never a literal of either pattern and
            // never `:`.
            Sym::Other => !matches!(self, Tok::Lit(_)),
        }
    }
}

fn fold(c: char, case_insensitive: bool) -> char {
    if case_insensitive {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

/// A glob whose wildcards match anything.
fn glob_tokens(pattern: &str, case_insensitive: bool) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star { colon: true },
            '?' => Tok::One { colon: true },
            c => Tok::Lit(fold(c, case_insensitive)),
        })
        .collect()
}

/// An ARN pattern (caller checked [`is_arn_pattern`]): the six parts with
/// literal `:` between them. Wildcards in the first five parts do not match
/// `:`, except a `*` that is the last character of its part (the IAM
/// Resource page: it "can expand to match beyond the colon boundaries");
/// wildcards in the resource part match anything.
fn arn_tokens(pattern: &str) -> Vec<Tok> {
    let mut toks = Vec::with_capacity(pattern.len());
    for (index, part) in pattern.splitn(6, ':').enumerate() {
        if index > 0 {
            toks.push(Tok::Lit(':'));
        }
        let resource = index == 5;
        let mut chars = part.chars().peekable();
        while let Some(c) = chars.next() {
            let last = chars.peek().is_none();
            toks.push(match c {
                '*' => Tok::Star {
                    colon: resource || last,
                },
                '?' => Tok::One { colon: resource },
                c => Tok::Lit(c),
            });
        }
    }
    toks
}

/// The language of a `Resource` pattern under [`resource_matches`].
fn resource_tokens(pattern: &str) -> Vec<Tok> {
    if is_arn_pattern(pattern) {
        arn_tokens(pattern)
    } else {
        glob_tokens(pattern, false)
    }
}

/// Rewrites a token sequence into an equivalent, more canonical one: runs of
/// adjacent `*` collapse into one, and in a run of wildcards of one class the
/// `?`s come first (`*?` and `?*` denote the same strings). This helps the
/// symbolic fast path; correctness never depends on it.
fn normalize(toks: &[Tok]) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        if let Tok::Lit(_) = toks[i] {
            out.push(toks[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < toks.len() && !matches!(toks[i], Tok::Lit(_)) {
            i += 1;
        }
        let run = &toks[start..i];
        let class = |t: &Tok| match *t {
            Tok::One { colon } | Tok::Star { colon } => colon,
            Tok::Lit(_) => true,
        };
        let first = class(&run[0]);
        if run.iter().all(|t| class(t) == first) {
            let ones = run.iter().filter(|t| !t.is_star()).count();
            out.extend(std::iter::repeat_n(Tok::One { colon: first }, ones));
            if run.iter().any(|t| t.is_star()) {
                out.push(Tok::Star { colon: first });
            }
        } else {
            for &t in run {
                match (out.last_mut(), t) {
                    (Some(Tok::Star { colon: a }), Tok::Star { colon: b }) => *a |= b,
                    _ => out.push(t),
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Automaton simulation.

/// A fixed-size set of automaton states.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct BitSet {
    words: Vec<u64>,
}

impl BitSet {
    fn new(bits: usize) -> Self {
        BitSet {
            words: vec![0; bits.div_ceil(64)],
        }
    }

    fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }

    fn contains(&self, i: usize) -> bool {
        self.words[i / 64] & (1 << (i % 64)) != 0
    }

    fn clear(&mut self) {
        self.words.fill(0);
    }

    fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                if rest == 0 {
                    return None;
                }
                let bit = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                Some(index * 64 + bit)
            })
        })
    }
}

/// State `i` of a pattern's automaton means "tokens `0..i` are matched";
/// state `toks.len()` accepts. A `*` at `i` lets the automaton skip to
/// `i + 1` without reading: add those states. `stars` lists the positions of
/// `*` in increasing order, so one pass suffices.
fn close(stars: &[usize], set: &mut BitSet) {
    for &i in stars {
        if set.contains(i) {
            set.insert(i + 1);
        }
    }
}

fn star_positions(toks: &[Tok]) -> Vec<usize> {
    toks.iter()
        .enumerate()
        .filter(|(_, t)| t.is_star())
        .map(|(i, _)| i)
        .collect()
}

/// Whether the token sequence matches the whole of `text`.
fn tokens_match(toks: &[Tok], text: &str, case_insensitive: bool) -> bool {
    let n = toks.len();
    let stars = star_positions(toks);
    let mut current = BitSet::new(n + 1);
    current.insert(0);
    close(&stars, &mut current);
    let mut next = BitSet::new(n + 1);
    for c in text.chars() {
        let c = fold(c, case_insensitive);
        next.clear();
        for i in current.iter() {
            if let Some(&t) = toks.get(i)
                && t.accepts_char(c)
            {
                next.insert(if t.is_star() { i } else { i + 1 });
            }
        }
        close(&stars, &mut next);
        if next.is_empty() {
            return false;
        }
        std::mem::swap(&mut current, &mut next);
    }
    current.contains(n)
}

/// Whether one character can be accepted by both tokens.
fn compatible(x: Tok, y: Tok) -> bool {
    match (x, y) {
        (Tok::Lit(c), Tok::Lit(d)) => c == d,
        (Tok::Lit(c), w) | (w, Tok::Lit(c)) => w.accepts_char(c),
        // Two wildcards: any character other than `:` suits both.
        _ => true,
    }
}

/// Whether some string matches both token sequences: reachability from
/// `(0, 0)` to `(|a|, |b|)` in the product automaton. Every useful move
/// increases `i` or `j` (a `*` reading a character against a `*` loops in
/// place and is skipped), so one pass in row-major order suffices.
fn tokens_overlap(a: &[Tok], b: &[Tok]) -> bool {
    let (n, m) = (a.len(), b.len());
    let mut row = vec![false; m + 1];
    let mut next_row = vec![false; m + 1];
    row[0] = true;
    for i in 0..=n {
        next_row.fill(false);
        for j in 0..=m {
            if !row[j] {
                continue;
            }
            if i == n && j == m {
                return true;
            }
            let ta = a.get(i).copied();
            let tb = b.get(j).copied();
            if let Some(t) = ta
                && t.is_star()
            {
                next_row[j] = true;
            }
            if let Some(t) = tb
                && t.is_star()
            {
                row[j + 1] = true;
            }
            if let (Some(x), Some(y)) = (ta, tb)
                && compatible(x, y)
            {
                let advance_a = !x.is_star();
                let next_j = if y.is_star() { j } else { j + 1 };
                if advance_a {
                    next_row[next_j] = true;
                } else if next_j != j {
                    row[next_j] = true;
                }
            }
        }
        std::mem::swap(&mut row, &mut next_row);
    }
    false
}

// ---------------------------------------------------------------------------
// Containment.

/// Decides `L(specific) ⊆ L(general)`.
fn containment(general: &[Tok], specific: &[Tok]) -> Containment {
    let g = normalize(general);
    let s = normalize(specific);
    if symbolic_covers(&g, &s) {
        return Containment::Covered;
    }
    let alphabet = alphabet_of(&g, &s);
    let fresh = fresh_char(&alphabet);
    // Cheap counterexample first: every `*` of `specific` empty, every `?` a
    // character that occurs in neither pattern.
    let shortest = render(&completion(&s, 0), fresh);
    if !tokens_match(&g, &shortest, false) {
        return Containment::NotCovered { witness: shortest };
    }
    match search(&g, &s, &alphabet) {
        Search::Covered => Containment::Covered,
        Search::Counterexample(syms) => Containment::NotCovered {
            witness: render(&syms, fresh),
        },
        Search::OutOfBudget => Containment::Undecided,
    }
}

/// Sound but incomplete containment test in `O(|g| * |s|)`: can `g` be
/// aligned with `s` so that each token of `g` covers a run of tokens of `s`
/// (a `*` any run whose tokens it can absorb, a `?` one `?` or literal, a
/// literal the same literal)?
fn symbolic_covers(g: &[Tok], s: &[Tok]) -> bool {
    // Can a wildcard of class `colon` stand for whatever `t` matches?
    fn absorbs(colon: bool, t: Tok) -> bool {
        match t {
            Tok::Lit(c) => colon || c != ':',
            Tok::One { colon: other } | Tok::Star { colon: other } => colon || !other,
        }
    }
    let m = s.len();
    // `row[j]`: the tokens of `g` seen so far cover exactly `s[..j]`.
    let mut row = vec![false; m + 1];
    let mut next_row = vec![false; m + 1];
    row[0] = true;
    for &gt in g {
        for j in 0..=m {
            next_row[j] = match gt {
                Tok::Star { colon } => {
                    row[j] || (j > 0 && next_row[j - 1] && absorbs(colon, s[j - 1]))
                }
                Tok::One { colon } => {
                    j > 0 && row[j - 1] && !s[j - 1].is_star() && absorbs(colon, s[j - 1])
                }
                Tok::Lit(c) => j > 0 && row[j - 1] && s[j - 1] == Tok::Lit(c),
            };
        }
        std::mem::swap(&mut row, &mut next_row);
        if !row.contains(&true) {
            return false;
        }
    }
    row[m]
}

/// A symbol of the containment search: a literal of either pattern (or `:`),
/// or one representative of every other character.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Sym {
    Ch(char),
    Other,
}

/// The characters the two patterns can tell apart: their literals, `:` when
/// some wildcard excludes it, and "any other character".
fn alphabet_of(g: &[Tok], s: &[Tok]) -> Vec<Sym> {
    let mut chars = BTreeSet::new();
    for &t in g.iter().chain(s) {
        match t {
            Tok::Lit(c) => {
                chars.insert(c);
            }
            Tok::One { colon: false } | Tok::Star { colon: false } => {
                chars.insert(':');
            }
            _ => {}
        }
    }
    chars
        .into_iter()
        .map(Sym::Ch)
        .chain(std::iter::once(Sym::Other))
        .collect()
}

/// A character in neither pattern (and not `:`), to stand for [`Sym::Other`]
/// in counterexamples.
fn fresh_char(alphabet: &[Sym]) -> char {
    let used = |c: char| alphabet.contains(&Sym::Ch(c));
    "xyzqjkvw0123456789"
        .chars()
        .chain(('\u{E000}'..='\u{F8FF}').chain('\u{F0000}'..='\u{FFFFD}'))
        .find(|&c| !used(c))
        .unwrap_or('\u{FFFD}')
}

fn render(syms: &[Sym], fresh: char) -> String {
    syms.iter()
        .map(|&s| match s {
            Sym::Ch(c) => c,
            Sym::Other => fresh,
        })
        .collect()
}

/// The shortest way for `s` to finish from automaton state `from`: literals
/// as themselves, `?` as "any other character", `*` as nothing.
fn completion(s: &[Tok], from: usize) -> Vec<Sym> {
    s[from..]
        .iter()
        .filter_map(|&t| match t {
            Tok::Lit(c) => Some(Sym::Ch(c)),
            Tok::One { .. } => Some(Sym::Other),
            Tok::Star { .. } => None,
        })
        .collect()
}

/// The general pattern's automaton, determinised on demand.
struct GeneralDfa<'a> {
    toks: &'a [Tok],
    stars: Vec<usize>,
    alphabet: &'a [Sym],
    states: Vec<BitSet>,
    ids: HashMap<BitSet, usize>,
    transitions: HashMap<(usize, usize), usize>,
}

impl<'a> GeneralDfa<'a> {
    fn new(toks: &'a [Tok], alphabet: &'a [Sym]) -> Self {
        GeneralDfa {
            toks,
            stars: star_positions(toks),
            alphabet,
            states: Vec::new(),
            ids: HashMap::new(),
            transitions: HashMap::new(),
        }
    }

    fn start(&mut self) -> usize {
        let mut set = BitSet::new(self.toks.len() + 1);
        set.insert(0);
        close(&self.stars, &mut set);
        self.intern(set)
    }

    fn intern(&mut self, set: BitSet) -> usize {
        match self.ids.entry(set) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let id = self.states.len();
                self.states.push(e.key().clone());
                e.insert(id);
                id
            }
        }
    }

    fn step(&mut self, state: usize, sym: usize) -> usize {
        if let Some(&to) = self.transitions.get(&(state, sym)) {
            return to;
        }
        let symbol = self.alphabet[sym];
        let mut next = BitSet::new(self.toks.len() + 1);
        for i in self.states[state].iter() {
            if let Some(&t) = self.toks.get(i)
                && t.accepts_sym(symbol)
            {
                next.insert(if t.is_star() { i } else { i + 1 });
            }
        }
        close(&self.stars, &mut next);
        let to = self.intern(next);
        self.transitions.insert((state, sym), to);
        to
    }

    fn accepts(&self, state: usize) -> bool {
        self.states[state].contains(self.toks.len())
    }

    fn is_dead(&self, state: usize) -> bool {
        self.states[state].is_empty()
    }
}

enum Search {
    Covered,
    Counterexample(Vec<Sym>),
    OutOfBudget,
}

/// (state of the specific pattern's automaton, state of the general DFA).
type Node = (usize, usize);

/// How the search first reached each visited node: (previous node, index of
/// the symbol read, `None` for skipping a `*` of the specific pattern).
type Parents = HashMap<Node, Option<(Node, Option<usize>)>>;

/// Breadth-first search of the product of `s`'s automaton with `g`'s
/// determinised automaton for a reachable pair where `s` accepts and `g`
/// does not. Exact: all characters outside `alphabet` behave alike in both
/// patterns, so [`Sym::Other`] represents them all.
fn search(g: &[Tok], s: &[Tok], alphabet: &[Sym]) -> Search {
    let mut dfa = GeneralDfa::new(g, alphabet);
    let start: Node = (0, dfa.start());
    let mut parent: Parents = HashMap::new();
    parent.insert(start, None);
    let mut queue = VecDeque::from([start]);
    let path_to = |parent: &Parents, mut node: Node| {
        let mut syms = Vec::new();
        while let Some(&Some((previous, sym))) = parent.get(&node) {
            syms.extend(sym.map(|k| alphabet[k]));
            node = previous;
        }
        syms.reverse();
        syms
    };
    while let Some(node) = queue.pop_front() {
        let (i, state) = node;
        let Some(&t) = s.get(i) else {
            if !dfa.accepts(state) {
                return Search::Counterexample(path_to(&parent, node));
            }
            continue;
        };
        if t.is_star() {
            let next = (i + 1, state);
            if let Entry::Vacant(e) = parent.entry(next) {
                e.insert(Some((node, None)));
                queue.push_back(next);
            }
        }
        let next_i = if t.is_star() { i } else { i + 1 };
        for (k, &sym) in alphabet.iter().enumerate() {
            if !t.accepts_sym(sym) {
                continue;
            }
            let next_state = dfa.step(state, k);
            let next = (next_i, next_state);
            if let Entry::Vacant(e) = parent.entry(next) {
                e.insert(Some((node, Some(k))));
                if dfa.is_dead(next_state) {
                    // `g` can no longer match; any way for `s` to finish
                    // gives a counterexample.
                    let mut syms = path_to(&parent, next);
                    syms.extend(completion(s, next_i));
                    return Search::Counterexample(syms);
                }
                queue.push_back(next);
            }
        }
        if parent.len() > MAX_SEARCH_NODES || dfa.states.len() > MAX_DFA_STATES {
            return Search::OutOfBudget;
        }
    }
    Search::Covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // ---- Reference implementations (deliberately naive). ----

    /// Recursive glob matcher: exponential in the worst case, obviously
    /// right, only for tiny inputs.
    fn naive_match(p: &[char], t: &[char], ci: bool) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|k| naive_match(rest, &t[k..], ci)),
            Some((&c, rest)) => match t.split_first() {
                Some((&d, t_rest)) => {
                    (c == '?' || c == d || (ci && c.eq_ignore_ascii_case(&d)))
                        && naive_match(rest, t_rest, ci)
                }
                None => false,
            },
        }
    }

    fn naive(p: &str, t: &str, ci: bool) -> bool {
        let p: Vec<char> = p.chars().collect();
        let t: Vec<char> = t.chars().collect();
        naive_match(&p, &t, ci)
    }

    /// Every string over `alphabet` of length at most `max_len`.
    fn all_strings(alphabet: &[char], max_len: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..max_len {
            let mut next = Vec::with_capacity(layer.len() * alphabet.len());
            for s in &layer {
                for &c in alphabet {
                    let mut t = s.clone();
                    t.push(c);
                    next.push(t);
                }
            }
            out.extend(next.iter().cloned());
            layer = next;
        }
        out
    }

    /// How the overlap search first reached a product state.
    type OverlapParents = HashMap<(usize, usize), Option<((usize, usize), Option<char>)>>;

    /// Test-only overlap decision with a witness: breadth-first search of the
    /// product automaton, independent of the row-major pass in
    /// `tokens_overlap`.
    fn overlap_witness(a: &[Tok], b: &[Tok]) -> Option<String> {
        let fresh = '\u{E000}';
        let pick = |x: Tok, y: Tok| -> Option<char> {
            match (x, y) {
                (Tok::Lit(c), Tok::Lit(d)) => (c == d).then_some(c),
                (Tok::Lit(c), w) | (w, Tok::Lit(c)) => w.accepts_char(c).then_some(c),
                _ => Some(fresh),
            }
        };
        let mut parent: OverlapParents = HashMap::new();
        parent.insert((0, 0), None);
        let mut queue = VecDeque::from([(0, 0)]);
        while let Some((i, j)) = queue.pop_front() {
            if i == a.len() && j == b.len() {
                let mut out = Vec::new();
                let mut node = (i, j);
                while let Some(&Some((prev, c))) = parent.get(&node) {
                    out.extend(c);
                    node = prev;
                }
                out.reverse();
                return Some(out.into_iter().collect());
            }
            let mut moves = Vec::new();
            if a.get(i).is_some_and(|t| t.is_star()) {
                moves.push(((i + 1, j), None));
            }
            if b.get(j).is_some_and(|t| t.is_star()) {
                moves.push(((i, j + 1), None));
            }
            if let (Some(&x), Some(&y)) = (a.get(i), b.get(j))
                && let Some(c) = pick(x, y)
            {
                let ni = if x.is_star() { i } else { i + 1 };
                let nj = if y.is_star() { j } else { j + 1 };
                moves.push(((ni, nj), Some(c)));
            }
            for (next, c) in moves {
                if let Entry::Vacant(e) = parent.entry(next) {
                    e.insert(Some(((i, j), c)));
                    queue.push_back(next);
                }
            }
        }
        None
    }

    fn pattern(alphabet: &'static [char], max: usize) -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(alphabet), 0..=max)
            .prop_map(|v| v.into_iter().collect())
    }

    const GLOB: &[char] = &['a', 'b', '*', '?'];

    // ---- Action element examples. ----
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html

    #[test]
    fn action_doc_examples() {
        // "iam:*AccessKey*" applies to CreateAccessKey, DeleteAccessKey,
        // ListAccessKeys and UpdateAccessKey.
        for action in [
            "iam:CreateAccessKey",
            "iam:DeleteAccessKey",
            "iam:ListAccessKeys",
            "iam:UpdateAccessKey",
        ] {
            assert!(action_matches("iam:*AccessKey*", action), "{action}");
        }
        assert!(!action_matches("iam:*AccessKey*", "iam:ChangePassword"));
        assert!(!action_matches("iam:*AccessKey*", "s3:ListAccessKeys"));
        // "s3:*" applies to all S3 actions, and only to S3.
        assert!(action_matches("s3:*", "s3:GetObject"));
        assert!(!action_matches("s3:*", "s3express:CreateSession"));
        assert!(action_matches("s3:Get*", "s3:GetObject"));
        assert!(action_matches("s3:Get*", "s3:Get"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
        assert!(action_matches("*", "sqs:SendMessage"));
        assert!(action_matches("ec2:StartInstances", "ec2:StartInstances"));
        assert!(!action_matches("ec2:StartInstances", "ec2:StartInstance"));
        // "The prefix and the action name are case insensitive":
        // iam:ListAccessKeys is the same as IAM:listaccesskeys.
        assert!(action_matches("iam:ListAccessKeys", "IAM:listaccesskeys"));
        assert!(action_matches("s3:GetObject", "S3:GETOBJECT"));
        assert!(action_matches("S3:GET*", "s3:getobject"));
        // `?` is exactly one character, non-ASCII included.
        assert!(action_matches("sqs:?endMessage", "sqs:SendMessage"));
        assert!(!action_matches("sqs:?endMessage", "sqs:endMessage"));
        assert!(action_matches("x:?", "x:é"));
        assert!(!action_matches("x:?", "x:éé"));
    }

    #[test]
    fn action_containment_examples() {
        assert!(action_covers("s3:*", "s3:Get*"));
        assert!(action_covers("S3:GET*", "s3:GetObject"));
        assert!(action_covers("s3:Get*", "s3:GetObject*"));
        assert!(!action_covers("s3:Get*", "s3:*"));
        assert!(action_covers("iam:*AccessKey*", "iam:List*AccessKeys"));
        assert!(action_overlaps("s3:Get*", "s3:*Acl"));
        assert!(action_overlaps("S3:get*", "s3:GET*"));
        assert!(!action_overlaps("s3:Get*", "s3:Put*"));
        assert!(!action_overlaps("s3:Get*", "ec2:*"));
    }

    // ---- Resource element examples. ----
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html

    #[test]
    fn resource_doc_examples() {
        assert!(resource_matches(
            "arn:aws:sqs:us-east-2:123456789012:queue1",
            "arn:aws:sqs:us-east-2:123456789012:queue1"
        ));
        // "In the Resource element, the IAM user name is case sensitive."
        assert!(resource_matches(
            "arn:aws:iam::123456789012:user/Bob",
            "arn:aws:iam::123456789012:user/Bob"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::123456789012:user/Bob",
            "arn:aws:iam::123456789012:user/bob"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:IAM::123456789012:user/Bob"
        ));
        // All IAM users whose path is /accounting.
        let accounting = "arn:aws:iam::123456789012:user/accounting/*";
        assert!(resource_matches(
            accounting,
            "arn:aws:iam::123456789012:user/accounting/alice"
        ));
        assert!(resource_matches(
            accounting,
            "arn:aws:iam::123456789012:user/accounting/east/alice"
        ));
        assert!(!resource_matches(
            accounting,
            "arn:aws:iam::123456789012:user/Bob"
        ));
        assert!(resource_matches(
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::123456789012:user/Bob"
        ));
        assert!(!resource_matches(
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::123456789012:role/Bob"
        ));
        // "The asterisk (*) character can expand to replace everything within
        // a segment, including characters like a forward slash (/)".
        let s3 = "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*";
        for key in [
            "1/test/object.jpg",
            "1/2/test/object.jpg",
            "1/2/test/3/object.jpg",
            "1/2/3/test/4/object.jpg",
            "1///test///object.jpg",
            "1/test/.jpg",
            "/test/object.jpg",
            "1/test/",
        ] {
            let arn = format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}");
            assert!(resource_matches(s3, &arn), "{arn}");
        }
        for key in ["1-test/object.jpg", "test/object.jpg"] {
            let arn = format!("arn:aws:s3:::amzn-s3-demo-bucket/{key}");
            assert!(!resource_matches(s3, &arn), "{arn}");
        }
        assert!(resource_matches(
            "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "arn:aws:s3:::amzn-s3-demo-bucket/a/b.txt"
        ));
        assert!(!resource_matches(
            "arn:aws:s3:::amzn-s3-demo-bucket/*",
            "arn:aws:s3:::amzn-s3-demo-bucket"
        ));
        assert!(resource_matches("*", "arn:aws:s3:::anything"));
        assert!(resource_matches("*", "not even an arn"));
    }

    #[test]
    fn resource_segment_wildcards() {
        // Region and account wildcards.
        let any_instance = "arn:aws:ec2:*:*:instance/*";
        assert!(resource_matches(
            any_instance,
            "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"
        ));
        assert!(resource_matches(
            any_instance,
            "arn:aws:ec2:eu-west-3:210987654321:instance/i-1"
        ));
        assert!(!resource_matches(
            any_instance,
            "arn:aws:ec2:us-east-1:123456789012:volume/vol-1"
        ));
        assert!(!resource_matches(
            any_instance,
            "arn:aws:rds:us-east-1:123456789012:instance/i-1"
        ));
        // `?` is one character and stays inside its segment.
        let east = "arn:aws:ec2:us-east-?:123456789012:instance/i-1";
        assert!(resource_matches(
            east,
            "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
        ));
        assert!(!resource_matches(
            east,
            "arn:aws:ec2:us-east-10:123456789012:instance/i-1"
        ));
        assert!(!resource_matches("arn:aws:ec2:?:1:x", "arn:aws:ec2:::1:x"));
        // A `*` in the middle of a segment does not cross a colon...
        assert!(!resource_matches(
            "arn:aws:ec2:us-*-1:123456789012:instance/x",
            "arn:aws:ec2:us-a:b-1:123456789012:instance/x"
        ));
        // ...but one that ends a segment "can expand to match beyond the
        // colon boundaries".
        assert!(resource_matches(
            "arn:aws:lambda:us-east-1:*:alias",
            "arn:aws:lambda:us-east-1:123456789012:function:f:alias"
        ));
        // Wildcards in the resource part span `:` and `/`.
        assert!(resource_matches(
            "arn:aws:logs:us-east-1:123456789012:log-group:*",
            "arn:aws:logs:us-east-1:123456789012:log-group:g:log-stream:s/1"
        ));
        assert!(resource_matches(
            "arn:aws:s3:::bucket?key",
            "arn:aws:s3:::bucket:key"
        ));
        // Patterns with too few colons are whole-string globs.
        assert!(resource_matches("arn:aws:s3:*", "arn:aws:s3:::bucket/key"));
        assert!(resource_matches("arn:*", "arn:aws:iam::1:user/x"));
        assert!(!resource_matches("arn:aws:s3:::b", "arn:aws:s3"));
        // "arn:aws:s3:::example?bucket/*" covers example1bucket, ... (S3 guide,
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-arn-format.html).
        assert!(resource_matches(
            "arn:aws:s3:::example?bucket/*",
            "arn:aws:s3:::example1bucket/k"
        ));
        assert!(resource_matches(
            "arn:aws:s3:::*",
            "arn:aws:s3:::example1bucket/k"
        ));
    }

    #[test]
    fn resource_containment_examples() {
        // A wildcard spans '/'.
        assert!(resource_covers(
            "arn:aws:s3:::bucket*",
            "arn:aws:s3:::bucket/key"
        ));
        assert!(resource_covers(
            "arn:aws:s3:::bucket*",
            "arn:aws:s3:::bucket/*"
        ));
        assert!(resource_covers(
            "arn:aws:s3:::bucket*",
            "arn:aws:s3:::bucket"
        ));
        assert!(!resource_covers(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket"
        ));
        assert!(!resource_covers(
            "arn:aws:s3:::bucket/*",
            "arn:aws:s3:::bucket*"
        ));
        assert!(resource_covers("*", "arn:aws:s3:::bucket/*"));
        assert!(resource_covers("*", "*"));
        assert!(!resource_covers("arn:aws:s3:::*", "*"));
        assert!(resource_covers("arn:*", "arn:aws:s3:::b/*"));
        assert!(resource_covers(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-east-1:123456789012:instance/*"
        ));
        assert!(resource_covers(
            "arn:aws:ec2:*:*:instance/*",
            "arn:aws:ec2:us-?-1:*:instance/i-*"
        ));
        assert!(!resource_covers(
            "arn:aws:ec2:us-*-1:*:instance/*",
            "arn:aws:ec2:*:*:instance/*"
        ));
        assert!(resource_covers(
            "arn:aws:iam::123456789012:user/*",
            "arn:aws:iam::123456789012:user/accounting/*"
        ));
        // Case-sensitive.
        assert!(!resource_covers(
            "arn:aws:iam::123456789012:user/Bob",
            "arn:aws:iam::123456789012:user/bob"
        ));
        // A segment's `?` never matches `:`, so no string matches both of
        // these (the glob needs a colon where the ARN has its region)...
        assert!(!resource_overlaps("arn:a:b:?:d:e", "arn:a:b::*"));
        // ...whereas a segment-final `*` can.
        assert!(resource_overlaps("arn:a:b:*:d:e", "arn:a:b:r:x:d:e"));
        assert!(resource_overlaps("arn:aws:s3:::a/*", "arn:aws:s3:::*/x"));
        assert!(!resource_overlaps("arn:aws:s3:::a/*", "arn:aws:s3:::b/*"));
        assert!(resource_overlaps("arn:aws:ec2:?:1:x", "arn:aws:ec2:*"));
        assert!(!resource_overlaps("arn:aws:ec2:?:1:x", "arn:aws:ec2:::1:x"));
    }

    #[test]
    fn brief_containment_examples() {
        for (g, s, want) in [
            ("a*", "ab*", true),
            ("a*b", "a*", false),
            ("a?c", "abc", true),
            ("*", "anything*?", true),
            ("a*", "a?", true),
            ("*a*", "*a", true),
            ("a*a", "a*", false),
            // Needs the exact search: no symbol-by-symbol alignment exists.
            ("*a?*", "a*a", true),
            ("?*", "*?", true),
            ("*??", "?*?", true),
            // True over {a, b} only; `acb` is a counterexample.
            ("*ab*", "a*b", false),
            ("", "", true),
            ("", "*", false),
            ("*", "", true),
        ] {
            assert_eq!(glob_covers(g, s, false), want, "covers({g:?}, {s:?})");
        }
        assert!(glob_covers("A*", "ab", true));
        assert!(!glob_covers("A*", "ab", false));
    }

    #[test]
    fn counterexamples_are_real() {
        for (g, s) in [
            ("a*b", "a*"),
            ("*ab*", "a*b"),
            ("a*a", "a*"),
            ("s3:Get*", "s3:*"),
            ("*a?*", "a*"),
            ("x*", "?"),
        ] {
            match glob_containment(g, s, false) {
                Containment::NotCovered { witness } => {
                    assert!(naive(s, &witness, false), "{s:?} must match {witness:?}");
                    assert!(!naive(g, &witness, false), "{g:?} must reject {witness:?}");
                }
                other => panic!("covers({g:?}, {s:?}) gave {other:?}"),
            }
        }
        match resource_containment("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket*") {
            Containment::NotCovered { witness } => {
                assert!(resource_matches("arn:aws:s3:::bucket*", &witness));
                assert!(!resource_matches("arn:aws:s3:::bucket/*", &witness));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_patterns_are_fast() {
        // 2 KB patterns that would make a backtracking matcher explode.
        let many_stars = "*a".repeat(1000);
        let text = "a".repeat(2000);
        assert!(glob_matches(&many_stars, &text, false));
        assert!(!glob_matches(&format!("{many_stars}b"), &text, false));
        assert!(!tokens_match(
            &glob_tokens(&format!("{many_stars}b"), false),
            &text,
            false
        ));
        assert!(glob_covers(&many_stars, &text, false));
        assert!(glob_covers(&format!("{many_stars}*"), &many_stars, false));
        // Not covered: `...a` must end with `a`, `...a*` need not.
        assert!(!glob_covers(&many_stars, &format!("{many_stars}*"), false));
        assert!(glob_overlaps(&many_stars, &text, false));
        assert!(!glob_overlaps(&format!("{many_stars}b"), &text, false));
        let arn = format!("arn:aws:s3:::bucket/{}", "x/".repeat(1000));
        assert!(resource_matches("arn:aws:s3:::bucket/*", &arn));
        assert!(resource_covers("arn:aws:s3:::bucket/*", &arn));
        assert!(!resource_covers(&arn, "arn:aws:s3:::bucket/*"));
    }

    #[test]
    fn adversarial_containment_stays_bounded() {
        // `*a` followed by many `?` has exponentially many DFA states; the
        // search must stop and answer "not proven".
        let general = format!("*a{}", "?".repeat(24));
        let specific = format!("*a{}*", "?".repeat(24));
        let started = std::time::Instant::now();
        let result = glob_containment(&general, &specific, false);
        match &result {
            Containment::Undecided => {}
            Containment::NotCovered { witness } => {
                assert!(tokens_match(&glob_tokens(&specific, false), witness, false));
                assert!(!tokens_match(&glob_tokens(&general, false), witness, false));
            }
            Containment::Covered => panic!("not covered: {general} vs {specific}"),
        }
        assert!(!glob_covers(&general, &specific, false));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn normalize_examples() {
        let n = |p: &str| normalize(&glob_tokens(p, false));
        assert_eq!(n("*?**?"), n("??*"));
        assert_eq!(n("a**b"), n("a*b"));
        assert_eq!(n(""), Vec::new());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// (1) Soundness: if `covers(g, s)`, every string over {a, b, c} up
        /// to length 6 matched by `s` is matched by `g`. (`c` occurs in no
        /// pattern and stands for every other character.)
        #[test]
        fn covers_is_sound(g in pattern(GLOB, 6), s in pattern(GLOB, 6)) {
            if glob_covers(&g, &s, false) {
                for w in all_strings(&['a', 'b', 'c'], 6) {
                    prop_assert!(!naive(&s, &w, false) || naive(&g, &w, false),
                        "covers({:?}, {:?}) but {:?}", g, s, w);
                }
            }
        }

        /// (2) Completeness, by bounded enumeration: if no string over
        /// {a, b, c} up to length |g| + |s| + 2 separates them, `covers`
        /// holds. (Over {a, b} alone this would be false for `*ab*` vs `a*b`.)
        #[test]
        fn covers_is_complete(g in pattern(GLOB, 3), s in pattern(GLOB, 3)) {
            let bound = g.len() + s.len() + 2;
            let separated = all_strings(&['a', 'b', 'c'], bound)
                .into_iter()
                .any(|w| naive(&s, &w, false) && !naive(&g, &w, false));
            prop_assert_eq!(glob_covers(&g, &s, false), !separated, "{:?} {:?}", g, s);
        }

        /// Completeness for longer patterns: every "not covered" answer
        /// carries a checked counterexample, and every "covered" answer
        /// survives the strings obtained from `s` by turning each `?` into a
        /// fresh character and each `*` into up to `#?(g) + 1` fresh
        /// characters (if any string separates the patterns, one of these
        /// does: fresh characters are matched by fewer tokens than literals,
        /// and beyond `#?(g)` extra characters a run is absorbed by a `*`).
        #[test]
        fn covers_is_exact(g in pattern(GLOB, 8), s in pattern(GLOB, 8)) {
            match glob_containment(&g, &s, false) {
                Containment::NotCovered { witness } => {
                    prop_assert!(naive(&s, &witness, false));
                    prop_assert!(!naive(&g, &witness, false));
                }
                Containment::Undecided => prop_assert!(false, "undecided {:?} {:?}", g, s),
                Containment::Covered => {
                    let limit = g.chars().filter(|&c| c == '?').count() + 1;
                    // `**` is `*`; collapse so the candidate count stays small.
                    let mut s = s.clone();
                    while s.contains("**") {
                        s = s.replace("**", "*");
                    }
                    let stars = s.chars().filter(|&c| c == '*').count();
                    prop_assume!((limit + 1).pow(stars as u32) <= 20_000);
                    let mut candidates = vec![String::new()];
                    for c in s.chars() {
                        let mut next = Vec::new();
                        for prefix in &candidates {
                            match c {
                                '*' => {
                                    for k in 0..=limit {
                                        next.push(format!("{prefix}{}", "c".repeat(k)));
                                    }
                                }
                                '?' => next.push(format!("{prefix}c")),
                                c => next.push(format!("{prefix}{c}")),
                            }
                        }
                        candidates = next;
                    }
                    for w in candidates {
                        prop_assert!(naive(&g, &w, false), "{:?} {:?} {:?}", g, s, w);
                    }
                }
            }
        }

        /// The symbolic fast path only ever claims true containments.
        #[test]
        fn symbolic_fast_path_is_sound(g in pattern(GLOB, 7), s in pattern(GLOB, 7)) {
            let (gt, st) = (glob_tokens(&g, false), glob_tokens(&s, false));
            if symbolic_covers(&normalize(&gt), &normalize(&st)) {
                let alphabet = alphabet_of(&gt, &st);
                prop_assert!(matches!(search(&gt, &st, &alphabet), Search::Covered));
            }
        }

        /// Case-insensitive containment equals containment of the lowercased
        /// patterns.
        #[test]
        fn covers_case_insensitive(
            g in pattern(&['a', 'A', 'b', '*', '?'], 5),
            s in pattern(&['a', 'B', 'b', '*', '?'], 5),
        ) {
            prop_assert_eq!(
                glob_covers(&g, &s, true),
                glob_covers(&g.to_ascii_lowercase(), &s.to_ascii_lowercase(), false)
            );
        }

        /// (3) Overlap agrees with the existence of a common string; a
        /// shortest one has at most |a| + |b| characters, and characters
        /// read by two wildcards can be taken from {a, b}.
        #[test]
        fn overlaps_matches_enumeration(a in pattern(GLOB, 4), b in pattern(GLOB, 4)) {
            let common = all_strings(&['a', 'b'], a.len() + b.len())
                .into_iter()
                .any(|w| naive(&a, &w, false) && naive(&b, &w, false));
            prop_assert_eq!(glob_overlaps(&a, &b, false), common, "{:?} {:?}", a, b);
            prop_assert_eq!(glob_overlaps(&b, &a, false), common);
        }

        /// (4) Matching agrees with the naive matcher, case-insensitively for
        /// actions and case-sensitively otherwise; the greedy scan agrees
        /// with the automaton simulation.
        #[test]
        fn matching_agrees_with_reference(
            p in pattern(&['a', 'b', 'A', 'B', ':', 'é', '*', '?'], 8),
            t in pattern(&['a', 'b', 'A', 'B', ':', 'é'], 8),
        ) {
            prop_assert_eq!(action_matches(&p, &t), naive(&p, &t, true));
            prop_assert_eq!(glob_matches(&p, &t, false), naive(&p, &t, false));
            prop_assert_eq!(tokens_match(&glob_tokens(&p, true), &t, true), naive(&p, &t, true));
            prop_assert_eq!(tokens_match(&glob_tokens(&p, false), &t, false), naive(&p, &t, false));
        }
    }

    /// A resource pattern: an ARN pattern with short parts, a short glob
    /// starting with `arn:`, or `*`.
    fn resource_pattern() -> impl Strategy<Value = String> {
        let part = || pattern(&['a', '*', '?'], 2);
        prop_oneof![
            4 => (part(), part(), part(), part(), pattern(&['a', '/', ':', '*', '?'], 3))
                .prop_map(|(p, s, r, a, res)| format!("arn:{p}:{s}:{r}:{a}:{res}")),
            2 => pattern(&['a', ':', '*', '?'], 6).prop_map(|g| format!("arn:{g}")),
            1 => Just("*".to_owned()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Resource containment and overlap are exact for the language of
        /// `resource_matches`: "covered" survives every enumerated ARN-like
        /// string, "not covered" comes with a checked counterexample, and
        /// overlap agrees with an independent product search whose witness
        /// both patterns match.
        #[test]
        fn resource_comparisons_are_exact(g in resource_pattern(), s in resource_pattern()) {
            let strings: Vec<String> = all_strings(&['a', ':', '/', 'c'], 6)
                .into_iter()
                .map(|w| format!("arn:{w}"))
                .collect();
            match resource_containment(&g, &s) {
                Containment::Covered => {
                    for w in &strings {
                        prop_assert!(!resource_matches(&s, w) || resource_matches(&g, w),
                            "{:?} {:?} {:?}", g, s, w);
                    }
                }
                Containment::NotCovered { witness } => {
                    prop_assert!(resource_matches(&s, &witness), "{:?} {:?}", s, witness);
                    prop_assert!(!resource_matches(&g, &witness), "{:?} {:?}", g, witness);
                }
                Containment::Undecided => prop_assert!(false, "undecided"),
            }
            let witness = overlap_witness(&resource_tokens(&g), &resource_tokens(&s));
            prop_assert_eq!(resource_overlaps(&g, &s), witness.is_some(), "{:?} {:?}", g, s);
            if let Some(w) = witness {
                prop_assert!(resource_matches(&g, &w) && resource_matches(&s, &w), "{:?}", w);
            }
            for w in &strings {
                if resource_matches(&g, w) && resource_matches(&s, w) {
                    prop_assert!(resource_overlaps(&g, &s));
                    break;
                }
            }
        }
    }
}
