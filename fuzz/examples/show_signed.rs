//! Prints the header and payload a `signed` input decodes to, and which
//! verifiers accept the token it signs:
//! `cargo run -p cognito-jwt-fuzz --example show_signed -- <file or dir>...`.
//! The last line counts the inputs each verifier accepted.
#![forbid(unsafe_code)]

use arbitrary::{Arbitrary, Unstructured};
use cognito_jwt_fuzz::keys::keys;
use cognito_jwt_fuzz::setup::{block_on, verifiers};
use cognito_jwt_fuzz::signed::{Input, render, sign};

fn main() {
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match std::fs::read_dir(&arg) {
            Ok(dir) => files.extend(dir.filter_map(|e| e.ok().map(|e| e.path()))),
            Err(_) => files.push(arg.into()),
        }
    }
    files.sort();
    let mut accepted = vec![0usize; verifiers().len()];
    for file in &files {
        let data = std::fs::read(file).expect("readable file");
        let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(&data)) else {
            println!("{}: not an input", file.display());
            continue;
        };
        let (signer, header, payload) = render(&input);
        let Some(key) = keys().get(signer) else {
            continue;
        };
        let token = sign(key, &header, &payload);
        let verdicts: Vec<String> = verifiers()
            .iter()
            .zip(&mut accepted)
            .map(
                |((spec, verifier), count)| match block_on(verifier.verify(&token)) {
                    Ok(_) => {
                        *count += 1;
                        format!("{}: accepted", spec.name)
                    }
                    Err(e) => format!("{}: {}", spec.name, e.kind()),
                },
            )
            .collect();
        println!(
            "{}\n  signer  {}\n  header  {header}\n  payload {payload}\n  {}",
            file.display(),
            key.name,
            verdicts.join(", ")
        );
    }
    let counts: Vec<String> = verifiers()
        .iter()
        .zip(&accepted)
        .map(|((spec, _), n)| format!("{} {n}", spec.name))
        .collect();
    println!("{} inputs; accepted by {}", files.len(), counts.join(", "));
}
