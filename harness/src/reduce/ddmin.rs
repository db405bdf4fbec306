//! Delta debugging (Zeller's ddmin) over item indices, behind an async oracle, with a trial
//! budget and a cache. The result is 1-minimal when the budget is not exhausted: removing any
//! single remaining item makes the oracle fail.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Answers "does the failure still show with only these items?" (indices into the input),
/// for several subsets at once when it can run trials concurrently.
pub(crate) trait Oracle {
    /// One answer per subset, in order.
    async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool>;
    /// How many subsets it answers at once.
    fn width(&self) -> usize {
        1
    }
}

/// Limits on one reduction.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub trials: usize,
    pub time: Duration,
}

/// What a reduction ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reduced {
    /// Kept indices, in input order.
    pub kept: Vec<usize>,
    /// Oracle calls made (cached answers not counted).
    pub trials: usize,
    /// False when the budget ran out before 1-minimality was reached.
    pub minimal: bool,
}

struct Run<'a, O: Oracle> {
    oracle: &'a mut O,
    cache: HashMap<Vec<usize>, bool>,
    trials: usize,
    budget: Budget,
    start: Instant,
}

impl<O: Oracle> Run<'_, O> {
    fn exhausted(&self) -> bool {
        self.trials >= self.budget.trials || self.start.elapsed() >= self.budget.time
    }

    /// The first of `candidates` (in order) the oracle accepts: `Some(None)` when it accepts
    /// none, `None` when the budget ran out first. Up to `width` uncached candidates are tested
    /// at once; with concurrency the answer is the same as one by one, at the cost of the
    /// trials after the winner in its batch.
    async fn first(&mut self, candidates: &[Vec<usize>]) -> Option<Option<Vec<usize>>> {
        let mut next = 0;
        while next < candidates.len() {
            let mut batch: Vec<usize> = Vec::new();
            while next < candidates.len() && batch.len() < self.oracle.width().max(1) {
                match self.cache.get(&candidates[next]) {
                    // Known to pass, and nothing before it is unanswered: the winner.
                    Some(true) if batch.is_empty() => return Some(Some(candidates[next].clone())),
                    Some(true) => break,
                    Some(false) => {}
                    None => batch.push(next),
                }
                next += 1;
            }
            if batch.is_empty() {
                continue;
            }
            if self.exhausted() {
                return None;
            }
            // Never more trials than the budget has left: what is left out is asked next round.
            let room = self.budget.trials - self.trials;
            if batch.len() > room {
                batch.truncate(room);
                next = batch[room - 1] + 1;
            }
            let subsets: Vec<Vec<usize>> = batch.iter().map(|&i| candidates[i].clone()).collect();
            self.trials += subsets.len();
            let answers = self.oracle.test_all(&subsets).await;
            for (subset, answer) in subsets.iter().zip(&answers) {
                self.cache.insert(subset.clone(), *answer);
            }
            if let Some(i) = answers.iter().position(|a| *a) {
                return Some(Some(subsets[i].clone()));
            }
        }
        Some(None)
    }
}

/// The first of `n` candidates the oracle accepts, each asked as the subset `[i]`, and the
/// trials used; `complete` is false when the budget ran out before every candidate was asked.
pub(crate) async fn first_accepted<O: Oracle>(n: usize, oracle: &mut O, budget: Budget) -> FirstAccepted {
    let mut run = Run { oracle, cache: HashMap::new(), trials: 0, budget, start: Instant::now() };
    let candidates: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let found = run.first(&candidates).await;
    FirstAccepted { found: found.clone().flatten().map(|s| s[0]), trials: run.trials, complete: found.is_some() }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirstAccepted {
    pub found: Option<usize>,
    pub trials: usize,
    pub complete: bool,
}

/// Reduce `0..n` to a small subset the oracle still accepts. The oracle is assumed to accept
/// the whole input (it is not asked).
pub(crate) async fn ddmin<O: Oracle>(n: usize, oracle: &mut O, budget: Budget) -> Reduced {
    let mut run = Run { oracle, cache: HashMap::new(), trials: 0, budget, start: Instant::now() };
    let mut current: Vec<usize> = (0..n).collect();
    // The empty set first: often the failing item alone is the answer.
    match run.first(&[Vec::new()]).await {
        Some(Some(_)) => return Reduced { kept: Vec::new(), trials: run.trials, minimal: true },
        Some(None) => {}
        None => return Reduced { kept: current, trials: run.trials, minimal: false },
    }
    let mut granularity = 2usize;
    loop {
        // One item left: the only smaller set is the empty one, which failed.
        if current.len() <= 1 {
            return Reduced { kept: current, trials: run.trials, minimal: true };
        }
        let chunks = split(&current, granularity.min(current.len()));
        // Reduce to a subset (with two chunks, the subsets are the complements)…
        let subsets = if chunks.len() > 2 { chunks.clone() } else { Vec::new() };
        let mut next = match run.first(&subsets).await {
            Some(found) => found.map(|s| (s, 2)),
            None => return Reduced { kept: current, trials: run.trials, minimal: false },
        };
        // …or to a complement.
        if next.is_none() {
            let complements: Vec<Vec<usize>> =
                chunks.iter().map(|chunk| current.iter().copied().filter(|i| !chunk.contains(i)).collect()).collect();
            next = match run.first(&complements).await {
                Some(found) => found.map(|s| (s, (granularity - 1).max(2))),
                None => return Reduced { kept: current, trials: run.trials, minimal: false },
            };
        }
        match next {
            Some((smaller, g)) => {
                current = smaller;
                granularity = g;
            }
            // Every single-item complement failed: 1-minimal.
            None if granularity >= current.len() => {
                return Reduced { kept: current, trials: run.trials, minimal: true };
            }
            None => granularity = (granularity * 2).min(current.len()),
        }
    }
}

/// Split into `n` contiguous chunks of near-equal size.
fn split(items: &[usize], n: usize) -> Vec<Vec<usize>> {
    let n = n.max(1);
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 0..n {
        let size = (items.len() - start) / (n - i);
        out.push(items[start..start + size].to_vec());
        start += size;
    }
    out.retain(|c| !c.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A predicate over subsets, counting its calls, answering `width` at a time.
    struct Pred<F: FnMut(&[usize]) -> bool>(F, usize, usize);

    impl<F: FnMut(&[usize]) -> bool> Oracle for Pred<F> {
        async fn test_all(&mut self, subsets: &[Vec<usize>]) -> Vec<bool> {
            assert!(subsets.len() <= self.2, "at most width at once");
            self.1 += subsets.len();
            subsets.iter().map(|s| (self.0)(s)).collect()
        }
        fn width(&self) -> usize {
            self.2
        }
    }

    const PLENTY: Budget = Budget { trials: 10_000, time: Duration::from_secs(60) };

    fn reduce(n: usize, f: impl FnMut(&[usize]) -> bool) -> Reduced {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut pred = Pred(f, 0, 1);
        let r = rt.block_on(ddmin(n, &mut pred, PLENTY));
        assert_eq!(r.trials, pred.1, "trials are the oracle's calls");
        r
    }

    #[test]
    fn finds_a_single_culprit() {
        let r = reduce(100, |s| s.contains(&37));
        assert_eq!(r.kept, vec![37]);
        assert!(r.minimal);
        assert!(r.trials < 40, "{} trials", r.trials);
    }

    #[test]
    fn keeps_every_item_of_a_conjunction() {
        // Needs 3, 50 and 97 together (a table, an insert and an index, say).
        let r = reduce(100, |s| [3, 50, 97].iter().all(|i| s.contains(i)));
        assert_eq!(r.kept, vec![3, 50, 97]);
        assert!(r.minimal);
    }

    #[test]
    fn empty_when_the_failing_item_alone_fails() {
        let r = reduce(60, |_| true);
        assert_eq!((r.kept, r.trials), (Vec::<usize>::new(), 1));
    }

    #[test]
    fn the_result_is_one_minimal_for_a_disjunction() {
        // Either {10, 11} or {40}: any answer must be 1-minimal.
        let test = |s: &[usize]| (s.contains(&10) && s.contains(&11)) || s.contains(&40);
        let r = reduce(64, test);
        assert!(test(&r.kept));
        for i in 0..r.kept.len() {
            let mut smaller = r.kept.clone();
            smaller.remove(i);
            assert!(!test(&smaller), "removing {} keeps the failure: not 1-minimal", r.kept[i]);
        }
    }

    #[test]
    fn stops_at_the_trial_budget() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut pred = Pred(|s: &[usize]| s.contains(&5) && s.contains(&90), 0, 1);
        let r = rt.block_on(ddmin(100, &mut pred, Budget { trials: 3, time: Duration::from_secs(60) }));
        assert_eq!(r.trials, 3);
        assert!(!r.minimal);
        assert!(r.kept.contains(&5) && r.kept.contains(&90), "what is kept still fails");
    }

    #[test]
    fn concurrent_trials_give_the_same_answer() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let test = |s: &[usize]| [7, 41, 42, 88].iter().all(|i| s.contains(i));
        let one = reduce(120, test);
        for width in [2, 3, 8] {
            let mut pred = Pred(test, 0, width);
            let r = rt.block_on(ddmin(120, &mut pred, PLENTY));
            assert_eq!(r.kept, one.kept, "width {width}");
            assert_eq!(r.trials, pred.1);
            assert!(r.minimal);
            assert!(r.trials >= one.trials, "concurrency spends trials, not fewer: {} < {}", r.trials, one.trials);
        }
        // A budget that ends mid-batch still counts every call.
        let mut pred = Pred(test, 0, 4);
        let r = rt.block_on(ddmin(120, &mut pred, Budget { trials: 6, time: Duration::from_secs(60) }));
        assert_eq!((r.trials, pred.1, r.minimal), (6, 6, false));
    }

    #[test]
    fn the_first_accepted_candidate_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut pred = Pred(|s: &[usize]| s[0] % 5 == 3, 0, 2);
        let r = rt.block_on(first_accepted(10, &mut pred, PLENTY));
        assert_eq!(r, FirstAccepted { found: Some(3), trials: 4, complete: true });
        let mut none = Pred(|_: &[usize]| false, 0, 3);
        let r = rt.block_on(first_accepted(10, &mut none, Budget { trials: 7, time: Duration::from_secs(60) }));
        assert_eq!(r, FirstAccepted { found: None, trials: 7, complete: false });
    }

    #[test]
    fn chunks_cover_the_input() {
        assert_eq!(split(&[1, 2, 3, 4, 5], 2), vec![vec![1, 2], vec![3, 4, 5]]);
        assert_eq!(split(&[1, 2], 4), vec![vec![1], vec![2]]);
    }
}
