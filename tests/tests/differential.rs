//! Differential test of the verifier against AWS's own (npm `aws-jwt-verify`,
//! the behavioural reference for Cognito) and against `jsonwebtoken` 11.
//!
//! From a fixed seed, [`cases::generate`] makes at least 5,000 tokens: valid
//! ID and access tokens and mutations of every claim, every header member,
//! the encoding and the signature, each with the expectations it is checked
//! against (token use, app clients, scopes, groups; no leeway anywhere). Each
//! goes through our `Verifier` (plus a `Requirement` for scopes and groups),
//! through aws-jwt-verify (one node process for the whole batch, offline) and
//! through `jsonwebtoken::decode`, and the accept/reject verdicts are compared
//! class by class.
//!
//! `tests/fixtures/aws-jwt-verify/KNOWN_DIFFERENCES.md` lists every class in
//! which we and a reference differ, with the reason. The test fails on
//!
//! * a token we accept and aws-jwt-verify rejects, except in the one class
//!   where that is right (an ID token whose `aud` is a one-element array
//!   naming our client: RFC 7519 §4.1.3 allows arrays), listed or not;
//! * a token jsonwebtoken rejects on something it checks (signature, `exp`,
//!   `nbf`, `iss`, `aud`) and we accept, listed or not;
//! * any other difference not in the table, a table row that matched nothing
//!   (the difference is gone: remove the row), and a class whose cases do not
//!   all get the same verdicts (the table could not speak for it).

#[path = "differential/cases.rs"]
mod cases;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use cases::{Case, Fixture, GLOBAL_ISS, POOL_ID, REGIONAL_ISS};
use cognito_jwt::{Issuer, Requirement, TokenUse, Verifier};
use cognito_jwt_e2e::aws_jwt_verify::{self, AwsCase, AwsVerdict};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;

const SEED: u64 = 0x00c0_9e17_0d1f_f004;
const MIN_CASES: usize = 5_000;
const TABLE_PATH: &str = "tests/fixtures/aws-jwt-verify/KNOWN_DIFFERENCES.md";
const TABLE: &str = include_str!("../fixtures/aws-jwt-verify/KNOWN_DIFFERENCES.md");
/// The one class where accepting what aws-jwt-verify rejects is right.
const WE_MAY_ACCEPT: &str = "aud.one_element_array";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Verdict {
    Accept,
    Reject,
}

impl Verdict {
    fn of(ok: bool) -> Verdict {
        if ok { Verdict::Accept } else { Verdict::Reject }
    }

    fn parse(cell: &str) -> Option<Verdict> {
        match cell.split_whitespace().next()? {
            "accept" => Some(Verdict::Accept),
            "reject" => Some(Verdict::Reject),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Verdict::Accept => "accept",
            Verdict::Reject => "reject",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Reference {
    Aws,
    Jwt,
}

impl Reference {
    fn name(self) -> &'static str {
        match self {
            Reference::Aws => "aws-jwt-verify",
            Reference::Jwt => "jsonwebtoken",
        }
    }
}

/// The verdicts of (ours, aws-jwt-verify, jsonwebtoken).
type Triple = (Verdict, Verdict, Verdict);

/// One row of the known-differences table.
#[derive(Debug)]
struct Row {
    reference: Reference,
    /// A class name, or a prefix ending in `*`.
    pattern: String,
    ours: Verdict,
    theirs: Verdict,
    line: usize,
}

impl Row {
    fn matches(&self, class: &str) -> bool {
        match self.pattern.strip_suffix('*') {
            Some(prefix) => class.starts_with(prefix),
            None => class == self.pattern,
        }
    }
}

/// The rows of the `## aws-jwt-verify` and `## jsonwebtoken` sections:
/// `` | `class` | ours | theirs | reason | ``. Malformed rows are errors.
fn parse_table(text: &str) -> (Vec<Row>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut section = None;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if let Some(heading) = line.strip_prefix("## ") {
            section = if heading.starts_with("aws-jwt-verify") {
                Some(Reference::Aws)
            } else if heading.starts_with("jsonwebtoken") {
                Some(Reference::Jwt)
            } else {
                None
            };
            continue;
        }
        let (Some(reference), true) = (section, line.starts_with("| `")) else {
            continue;
        };
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let parsed = match cells.as_slice() {
            [class, ours, theirs, reason] if reason.len() >= 20 => class
                .strip_prefix('`')
                .and_then(|c| c.strip_suffix('`'))
                .zip(Verdict::parse(ours))
                .zip(Verdict::parse(theirs))
                .map(|((pattern, ours), theirs)| Row {
                    reference,
                    pattern: pattern.to_owned(),
                    ours,
                    theirs,
                    line: line_no,
                }),
            _ => None,
        };
        match parsed {
            Some(row) if row.ours == row.theirs => errors.push(format!(
                "{TABLE_PATH}:{line_no}: both verdicts are the same"
            )),
            Some(row)
                if row.reference == Reference::Aws
                    && row.ours == Verdict::Accept
                    && row.pattern != WE_MAY_ACCEPT =>
            {
                errors.push(format!(
                    "{TABLE_PATH}:{line_no}: `{}`: accepting what aws-jwt-verify rejects is \
                     allowed only for `{WE_MAY_ACCEPT}`",
                    row.pattern
                ))
            }
            Some(row) => rows.push(row),
            None => errors.push(format!(
                "{TABLE_PATH}:{line_no}: expected | `class` | accept/reject | accept/reject | \
                 reason (20+ characters) |"
            )),
        }
    }
    (rows, errors)
}

/// jsonwebtoken's refusal: its error and whether it is one of its checks
/// (signature and key choice, `exp`, `nbf`, `iss`, `aud`) rather than a
/// parse failure.
#[derive(Debug, Clone)]
struct JwtRefusal {
    error: String,
    is_check: bool,
}

/// What each verifier said of one case.
struct Outcome {
    ours: Result<(), &'static str>,
    aws: AwsVerdict,
    jwt: Result<(), JwtRefusal>,
}

impl Outcome {
    fn ours(&self) -> Verdict {
        Verdict::of(self.ours.is_ok())
    }

    fn theirs(&self, reference: Reference) -> Verdict {
        match reference {
            Reference::Aws => Verdict::of(self.aws.ok),
            Reference::Jwt => Verdict::of(self.jwt.is_ok()),
        }
    }

    fn describe(&self) -> String {
        let ours = match self.ours {
            Ok(()) => "accept".to_owned(),
            Err(kind) => format!("reject ({kind})"),
        };
        let aws = match (&self.aws.error, &self.aws.message) {
            _ if self.aws.ok => "accept".to_owned(),
            (Some(e), Some(m)) => format!("reject ({e}: {m})"),
            (e, _) => format!("reject ({})", e.as_deref().unwrap_or("?")),
        };
        let jwt = match &self.jwt {
            Ok(()) => "accept".to_owned(),
            Err(r) => format!("reject ({})", r.error),
        };
        format!("ours: {ours}\n      aws-jwt-verify: {aws}\n      jsonwebtoken: {jwt}")
    }
}

/// Our verdict: the verifier configured like the case, then its scope and
/// group requirements.
async fn ours(
    verifiers: &mut HashMap<(TokenUse, Vec<String>), Verifier>,
    jwks: &str,
    case: &Case,
) -> Result<(), &'static str> {
    let verifier = verifiers
        .entry((case.token_use, case.client_ids.clone()))
        .or_insert_with(|| {
            Verifier::builder(Issuer::cognito(POOL_ID).static_jwks(jwks))
                .client_ids(case.client_ids.clone())
                .token_use(case.token_use)
                .leeway(Duration::ZERO)
                .disable_token_cache()
                .build()
                .expect("verifier")
        });
    let claims = verifier.verify(&case.token).await.map_err(|e| e.kind())?;
    let mut requirement = Requirement::new();
    if let Some(scopes) = &case.scopes {
        requirement = requirement
            .any_scope(scopes.clone())
            .expect("the generator names valid scopes");
    }
    if let Some(groups) = &case.groups {
        requirement = requirement
            .any_group(groups.clone())
            .expect("the generator names valid groups");
    }
    requirement.verify(&claims).map_err(|e| e.kind())
}

/// jsonwebtoken's verdict, used as an application would: the key named by
/// `kid` in the pool's JWKS, RS256, both Cognito issuer forms, the app
/// clients as audience for ID tokens (access tokens carry `client_id`, so
/// `aud` is not validated), no leeway, `nbf` validated.
fn jwt(jwks: &JwkSet, case: &Case) -> Result<(), JwtRefusal> {
    let refusal = |e: jsonwebtoken::errors::Error| {
        let is_check = matches!(
            e.kind(),
            ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::ExpiredSignature
                | ErrorKind::ImmatureSignature
                | ErrorKind::InvalidIssuer
                | ErrorKind::InvalidAudience
                | ErrorKind::MissingRequiredClaim(_)
                | ErrorKind::InvalidClaimFormat(_)
        );
        JwtRefusal {
            error: format!("{:?}", e.kind()),
            is_check,
        }
    };
    let header = jsonwebtoken::decode_header(&case.token).map_err(refusal)?;
    let jwk = header
        .kid
        .as_deref()
        .and_then(|kid| jwks.find(kid))
        .ok_or_else(|| JwtRefusal {
            error: "no key with the header's kid".to_owned(),
            is_check: true,
        })?;
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(refusal)?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.leeway = 0;
    validation.validate_nbf = true;
    validation.set_issuer(&[REGIONAL_ISS, GLOBAL_ISS]);
    match case.token_use {
        TokenUse::Id => validation.set_audience(&case.client_ids),
        TokenUse::Access => validation.validate_aud = false,
    }
    jsonwebtoken::decode::<serde_json::Value>(&case.token, &key, &validation)
        .map(drop)
        .map_err(refusal)
}

/// A token's header and payload as text, for people reading a failure.
fn decoded(token: &str) -> String {
    let lenient = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    let mut parts = token.split('.');
    let mut show = |what: &str| {
        let segment = parts.next().unwrap_or_default();
        let text = match lenient.decode(segment.trim()) {
            Ok(bytes) => format!("{:?}", String::from_utf8_lossy(&bytes)),
            Err(_) => format!("(not base64url) {segment:?}"),
        };
        let text: String = text.chars().take(1500).collect();
        format!("      {what}: {text}\n")
    };
    let header = show("header");
    let payload = show("payload");
    format!("      token: {:?}\n{header}{payload}", truncate(token, 120))
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

fn expectations(case: &Case) -> String {
    format!(
        "token_use={} client_ids={:?} scopes={:?} groups={:?}",
        case.token_use, case.client_ids, case.scopes, case.groups
    )
}

/// Every class with each verifier's verdicts (and the first error of each),
/// for people updating the table: `DIFFERENTIAL_REPORT=/tmp/report.md`.
fn verdict_table(cases: &[Case], outcomes: &[Outcome]) -> String {
    let mut seen: BTreeMap<(&str, &str), (usize, String, String, String)> = BTreeMap::new();
    for (case, outcome) in cases.iter().zip(outcomes) {
        let entry = seen
            .entry((case.class, case.token_use.as_str()))
            .or_insert_with(|| {
                let ours = match outcome.ours {
                    Ok(()) => "accept".to_owned(),
                    Err(kind) => format!("reject ({kind})"),
                };
                let aws = match &outcome.aws.error {
                    _ if outcome.aws.ok => "accept".to_owned(),
                    error => format!("reject ({})", error.as_deref().unwrap_or("?")),
                };
                let jwt = match &outcome.jwt {
                    Ok(()) => "accept".to_owned(),
                    Err(r) => format!("reject ({})", r.error),
                };
                (0, ours, aws, jwt)
            });
        entry.0 += 1;
    }
    let mut out = String::from(
        "| class | token | cases | ours | aws-jwt-verify | jsonwebtoken |\n|---|---|---|---|---|---|\n",
    );
    for ((class, token_use), (count, ours, aws, jwt)) in seen {
        let _ = writeln!(
            out,
            "| `{class}` | {token_use} | {count} | {ours} | {aws} | {jwt} |"
        );
    }
    out
}

#[tokio::test(flavor = "current_thread")]
async fn differential_against_aws_jwt_verify_and_jsonwebtoken() {
    let started = Instant::now();
    let fx = Fixture::new();
    let cases = cases::generate(&fx, SEED, MIN_CASES);
    assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
    let generated = started.elapsed();

    let jwks_json = fx.jwks.to_string();
    let aws_cases: Vec<AwsCase<'_>> = cases
        .iter()
        .map(|c| AwsCase {
            token: &c.token,
            token_use: c.token_use.as_str(),
            client_ids: &c.client_ids,
            scopes: c.scopes.as_deref(),
            groups: c.groups.as_deref(),
        })
        .collect();
    let aws_verdicts = aws_jwt_verify::verify_batch(POOL_ID, &fx.jwks, &aws_cases);
    let aws_time = started.elapsed() - generated;

    let jwk_set: JwkSet = serde_json::from_value(fx.jwks.clone()).expect("JWKS for jsonwebtoken");
    let mut verifiers = HashMap::new();
    let mut outcomes = Vec::with_capacity(cases.len());
    for (case, aws) in cases.iter().zip(aws_verdicts) {
        outcomes.push(Outcome {
            ours: ours(&mut verifiers, &jwks_json, case).await,
            aws,
            jwt: jwt(&jwk_set, case),
        });
    }

    let (rows, mut failures) = parse_table(TABLE);
    let mut used = vec![0usize; rows.len()];
    // (reference, class, ours, theirs) -> indexes of the cases.
    let mut unexplained: BTreeMap<(Reference, &str, Verdict, Verdict), Vec<usize>> =
        BTreeMap::new();
    let mut forbidden: BTreeMap<(Reference, &str), Vec<usize>> = BTreeMap::new();
    // (class, token use) -> the verdict triples seen.
    let mut per_class: BTreeMap<(&str, &str), BTreeSet<Triple>> = BTreeMap::new();
    for (index, (case, outcome)) in cases.iter().zip(&outcomes).enumerate() {
        let ours = outcome.ours();
        per_class
            .entry((case.class, case.token_use.as_str()))
            .or_default()
            .insert((
                ours,
                outcome.theirs(Reference::Aws),
                outcome.theirs(Reference::Jwt),
            ));
        let mut never_allowed = Vec::new();
        if ours == Verdict::Accept && !outcome.aws.ok && case.class != WE_MAY_ACCEPT {
            never_allowed.push(Reference::Aws);
        }
        if let (Verdict::Accept, Err(refusal)) = (ours, &outcome.jwt)
            && refusal.is_check
        {
            never_allowed.push(Reference::Jwt);
        }
        for reference in [Reference::Aws, Reference::Jwt] {
            let theirs = outcome.theirs(reference);
            if theirs == ours {
                continue;
            }
            if never_allowed.contains(&reference) {
                forbidden
                    .entry((reference, case.class))
                    .or_default()
                    .push(index);
                continue;
            }
            let row = rows.iter().position(|r| {
                r.reference == reference
                    && r.ours == ours
                    && r.theirs == theirs
                    && r.matches(case.class)
            });
            match row {
                Some(row) => used[row] += 1,
                None => unexplained
                    .entry((reference, case.class, ours, theirs))
                    .or_default()
                    .push(index),
            }
        }
    }

    let example = |index: usize| {
        let case = &cases[index];
        format!(
            "      {}\n      {}\n{}",
            expectations(case),
            outcomes[index].describe(),
            decoded(&case.token)
        )
    };
    let mut report = String::new();
    for ((reference, class), indexes) in &forbidden {
        let rule = match reference {
            Reference::Aws => {
                format!("only `{WE_MAY_ACCEPT}` may be accepted when aws-jwt-verify rejects")
            }
            Reference::Jwt => {
                "jsonwebtoken rejected on a check it makes (signature, exp, nbf, iss, aud)"
                    .to_owned()
            }
        };
        let _ = writeln!(
            report,
            "\nWE ACCEPT, {} REJECTS: class `{class}` ({} cases; {rule}); for example:\n{}",
            reference.name(),
            indexes.len(),
            example(indexes[0])
        );
    }
    for ((reference, class, ours, theirs), indexes) in &unexplained {
        let _ = writeln!(
            report,
            "\nunlisted difference with {}: class `{class}`: we {}, they {} ({} cases); \
             add a row to {TABLE_PATH} with the reason, or fix the verifier. For example:\n{}",
            reference.name(),
            ours.as_str(),
            theirs.as_str(),
            indexes.len(),
            example(indexes[0])
        );
    }
    for (row, count) in rows.iter().zip(&used) {
        if *count == 0 {
            failures.push(format!(
                "{TABLE_PATH}:{}: `{}` ({}: we {}, they {}) matched no case: the difference is gone, remove the row",
                row.line,
                row.pattern,
                row.reference.name(),
                row.ours.as_str(),
                row.theirs.as_str()
            ));
        }
    }
    for ((class, token_use), verdicts) in &per_class {
        if verdicts.len() > 1 {
            let first = |wanted: &Triple| {
                cases.iter().zip(&outcomes).position(|(c, o)| {
                    c.class == *class
                        && c.token_use.as_str() == *token_use
                        && (o.ours(), o.theirs(Reference::Aws), o.theirs(Reference::Jwt)) == *wanted
                })
            };
            let mut text = format!(
                "class `{class}` ({token_use} tokens) is not deterministic: (ours, aws-jwt-verify, \
                 jsonwebtoken) = {verdicts:?}"
            );
            for wanted in verdicts {
                if let Some(index) = first(wanted) {
                    let _ = write!(text, "\n{}", example(index));
                }
            }
            failures.push(text);
        }
    }
    for failure in &failures {
        let _ = writeln!(report, "\n{failure}");
    }

    if let Some(path) = std::env::var_os("DIFFERENTIAL_REPORT") {
        std::fs::write(&path, verdict_table(&cases, &outcomes)).expect("write DIFFERENTIAL_REPORT");
    }
    let classes: BTreeSet<&str> = cases.iter().map(|c| c.class).collect();
    let differing: usize =
        used.iter().sum::<usize>() + unexplained.values().map(Vec::len).sum::<usize>();
    eprintln!(
        "differential: {} cases in {} classes (seed {SEED:#x}), aws-jwt-verify {}; {differing} \
         differences, {} table rows; generated in {:.1?}, aws-jwt-verify {:.1?}, total {:.1?}",
        cases.len(),
        classes.len(),
        aws_jwt_verify::version(),
        rows.len(),
        generated,
        aws_time,
        started.elapsed()
    );
    assert!(report.is_empty(), "differential test failed:\n{report}");
}
