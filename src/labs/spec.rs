//! The check graph as the code knows it. Each driver declares its checks once, with the
//! prerequisites its code relies on (a check that reads the response another check fetched
//! cannot run without it) and the hint keys its failures may name. `lab.toml` adds what staff
//! may change: titles, hints, points, time limits, extra prerequisites, advisory checks.
//! Validation ([`crate::definition`]) rejects a definition whose prerequisites are weaker
//! than the code's, so a staff copy that drops one is refused before any student code runs
//! instead of turning into grader errors halfway through.

/// What the code knows about one check.
#[derive(Clone, Debug)]
pub struct CheckSpec {
    /// The stable id (a contract: reports, `--only`, staff scripts).
    pub id: &'static str,
    /// Checks that must have passed (or only warned) before this one can run.
    pub needs: &'static [&'static str],
    /// Keys of the hints a failure may choose by what it observed (`[checks.hints]` in
    /// `lab.toml`); a failure that names none gets the check's main hint.
    pub hints: &'static [&'static str],
}

/// Declares a driver's checks: an enum with one variant per check, `parse` from the id, and
/// `SPECS` for validation, so an id is written once here and once in `lab.toml`.
///
/// ```ignore
/// checks! {
///     enum Check {
///         Starts = "starts",
///         Body = "body" needs ["starts"] hints ["truncated"],
///     }
/// }
/// ```
macro_rules! checks {
    (
        enum $name:ident {
            $( $variant:ident = $id:literal
               $( needs [ $( $need:literal ),* ] )?
               $( hints [ $( $hint:literal ),* ] )? ),* $(,)?
        }
    ) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum $name {
            $( $variant, )*
        }

        impl $name {
            /// Every check of the lab, in the order `lab.toml` lists them.
            pub const SPECS: &'static [$crate::labs::spec::CheckSpec] = &[
                $( $crate::labs::spec::CheckSpec {
                    id: $id,
                    needs: &[ $( $( $need ),* )? ],
                    hints: &[ $( $( $hint ),* )? ],
                }, )*
            ];

            fn parse(id: &str) -> Option<$name> {
                match id {
                    $( $id => Some($name::$variant), )*
                    _ => None,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    checks! {
        enum Demo {
            A = "a",
            B = "b" needs ["a"],
            C = "c" needs ["a", "b"] hints ["one", "two"],
            D = "d" hints ["only"],
        }
    }

    #[test]
    fn the_macro_declares_ids_needs_and_hints_once() {
        assert_eq!(Demo::parse("c"), Some(Demo::C));
        assert_eq!(Demo::parse("x"), None);
        let ids: Vec<&str> = Demo::SPECS.iter().map(|s| s.id).collect();
        assert_eq!(ids, ["a", "b", "c", "d"]);
        assert_eq!(Demo::SPECS[2].needs, ["a", "b"]);
        assert_eq!(Demo::SPECS[2].hints, ["one", "two"]);
        assert!(Demo::SPECS[3].needs.is_empty());
        assert_eq!(Demo::SPECS[3].hints, ["only"]);
        let _ = (Demo::A, Demo::B, Demo::D);
    }
}
