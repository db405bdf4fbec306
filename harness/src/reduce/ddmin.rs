//! Delta debugging (Zeller's ddmin) over item indices, behind an async oracle, with a trial
//! budget and a cache. The result is 1-minimal when the budget is not exhausted: removing any
//! single remaining item makes the oracle fail.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Answers "does the failure still show with only these items?" (indices into the input).
pub(crate) trait Oracle {
    async fn test(&mut self, subset: &[usize]) -> bool;
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

    /// None when the budget is exhausted before the question could be asked.
    async fn test(&mut self, subset: &[usize]) -> Option<bool> {
        if let Some(answer) = self.cache.get(subset) {
            return Some(*answer);
        }
        if self.exhausted() {
            return None;
        }
        self.trials += 1;
        let answer = self.oracle.test(subset).await;
        self.cache.insert(subset.to_vec(), answer);
        Some(answer)
    }
}

/// Reduce `0..n` to a small subset the oracle still accepts. The oracle is assumed to accept
/// the whole input (it is not asked).
pub(crate) async fn ddmin<O: Oracle>(n: usize, oracle: &mut O, budget: Budget) -> Reduced {
    let mut run = Run { oracle, cache: HashMap::new(), trials: 0, budget, start: Instant::now() };
    let mut current: Vec<usize> = (0..n).collect();
    // The empty set first: often the failing item alone is the answer.
    match run.test(&[]).await {
        Some(true) => return Reduced { kept: Vec::new(), trials: run.trials, minimal: true },
        Some(false) => {}
        None => return Reduced { kept: current, trials: run.trials, minimal: false },
    }
    let mut granularity = 2usize;
    loop {
        // One item left: the only smaller set is the empty one, which failed.
        if current.len() <= 1 {
            return Reduced { kept: current, trials: run.trials, minimal: true };
        }
        let chunks = split(&current, granularity.min(current.len()));
        let mut next = None;
        // Reduce to a subset (with two chunks, the subsets are the complements)…
        if chunks.len() > 2 {
            for chunk in &chunks {
                match run.test(chunk).await {
                    Some(true) => {
                        next = Some((chunk.clone(), 2));
                        break;
                    }
                    Some(false) => {}
                    None => return Reduced { kept: current, trials: run.trials, minimal: false },
                }
            }
        }
        // …or to a complement.
        if next.is_none() {
            for chunk in &chunks {
                let complement: Vec<usize> = current.iter().copied().filter(|i| !chunk.contains(i)).collect();
                match run.test(&complement).await {
                    Some(true) => {
                        next = Some((complement, (granularity - 1).max(2)));
                        break;
                    }
                    Some(false) => {}
                    None => return Reduced { kept: current, trials: run.trials, minimal: false },
                }
            }
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

    /// A predicate over subsets, counting its calls.
    struct Pred<F: FnMut(&[usize]) -> bool>(F, usize);

    impl<F: FnMut(&[usize]) -> bool> Oracle for Pred<F> {
        async fn test(&mut self, subset: &[usize]) -> bool {
            self.1 += 1;
            (self.0)(subset)
        }
    }

    const PLENTY: Budget = Budget { trials: 10_000, time: Duration::from_secs(60) };

    fn reduce(n: usize, f: impl FnMut(&[usize]) -> bool) -> Reduced {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut pred = Pred(f, 0);
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
        let mut pred = Pred(|s: &[usize]| s.contains(&5) && s.contains(&90), 0);
        let r = rt.block_on(ddmin(100, &mut pred, Budget { trials: 3, time: Duration::from_secs(60) }));
        assert_eq!(r.trials, 3);
        assert!(!r.minimal);
        assert!(r.kept.contains(&5) && r.kept.contains(&90), "what is kept still fails");
    }

    #[test]
    fn chunks_cover_the_input() {
        assert_eq!(split(&[1, 2, 3, 4, 5], 2), vec![vec![1, 2], vec![3, 4, 5]]);
        assert_eq!(split(&[1, 2], 4), vec![vec![1], vec![2]]);
    }
}
