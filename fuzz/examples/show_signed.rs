//! Prints the header and payload a `signed` input decodes to:
//! `cargo run -p cognito-jwt-fuzz --example show_signed -- <file>...`.
#![forbid(unsafe_code)]

use arbitrary::{Arbitrary, Unstructured};
use cognito_jwt_fuzz::signed::{Input, render};

fn main() {
    for file in std::env::args().skip(1) {
        let data = std::fs::read(&file).expect("readable file");
        match Input::arbitrary_take_rest(Unstructured::new(&data)) {
            Ok(input) => {
                let (signer, header, payload) = render(&input);
                let key = cognito_jwt_fuzz::keys::keys().get(signer).map(|k| k.name);
                println!("{file}\n  signer  {key:?}\n  header  {header}\n  payload {payload}");
            }
            Err(e) => println!("{file}: not an input ({e})"),
        }
    }
}
