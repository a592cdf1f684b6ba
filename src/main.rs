//! `grade`: see the library's docs for the design.

fn main() {
    std::process::exit(netgrade::cli::main());
}
