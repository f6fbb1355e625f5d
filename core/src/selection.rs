//! Choosing, per slot, the newest acceptable version.

use std::any::TypeId;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::ops::{Deref, DerefMut};
use std::panic::AssertUnwindSafe;

use semver::Version;

use crate::caught::catch_plugin_panic;
use crate::lifecycle::{Hook, Lifecycle};
use crate::reason::ReasonCode;
use crate::report::{Candidate, Choice, NotTried, Outcome, SelectionError, SlotReport};
use crate::slot::entries::{Collector, IndexEntry, newest_first, sort, typed};
use crate::{Facts, PluginMeta, Policy, Quarantine, Registration, Rejection, Slot};

/// Chooses versions for a host: facts, policy and (optionally) a quarantine.
#[derive(Debug, Clone, Copy)]
pub struct Selector<'a> {
    facts: &'a Facts,
    policy: &'a Policy,
    quarantine: Option<&'a Quarantine>,
    start: bool,
    /// Whether explaining also finds each slot's fallback (see
    /// [`Selector::with_fallbacks`]).
    find_fallbacks: bool,
}

/// Why a candidate was excluded or rejected: code, human reason and, for an unmet
/// requirement, the fact.
pub(crate) struct Refusal {
    code: ReasonCode,
    reason: Cow<'static, str>,
    fact: Option<Cow<'static, str>>,
}

impl Refusal {
    fn new(code: ReasonCode, reason: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
            fact: None,
        }
    }
}

/// A selected, started plugin instance of slot `S`; `stop` runs when it is dropped.
pub struct Selected<S: ?Sized + Slot> {
    registration: &'static Registration<S>,
    version: Version,
    instance: Option<Box<S>>,
    report: SlotReport,
}

impl<'a> Selector<'a> {
    /// A selector for the host `facts` under `policy`.
    pub fn new(facts: &'a Facts, policy: &'a Policy) -> Selector<'a> {
        Selector {
            facts,
            policy,
            quarantine: None,
            start: false,
            find_fallbacks: false,
        }
    }

    /// Also exclude the versions in `quarantine`.
    pub fn with_quarantine(mut self, quarantine: &'a Quarantine) -> Selector<'a> {
        self.quarantine = Some(quarantine);
        self
    }

    /// Also run `start` in [`explain`](Self::explain) (then `stop` at once), so a
    /// version whose `start` fails is rejected and an older one chosen, exactly as
    /// [`select`](Self::select) does. Off by default: explaining starts nothing.
    pub fn with_start(mut self, start: bool) -> Selector<'a> {
        self.start = start;
        self
    }

    /// Also find, while explaining, what each slot would select with its selected
    /// version set aside (what [`fallbacks`](Self::fallbacks) answers): the walk
    /// that chose a version goes on to the next acceptable one, so the versions it
    /// turned down are not decided twice. Off by default: it probes one more
    /// version per slot.
    pub fn with_fallbacks(mut self, find: bool) -> Selector<'a> {
        self.find_fallbacks = find;
        self
    }

    /// Whether [`explain`](Self::explain) runs `start` (see [`with_start`](Self::with_start)).
    pub fn runs_start(&self) -> bool {
        self.start
    }

    /// The host facts.
    pub fn facts(&self) -> &'a Facts {
        self.facts
    }

    /// The policy.
    pub fn policy(&self) -> &'a Policy {
        self.policy
    }

    /// Selects and starts the newest acceptable version of `S`, falling back to
    /// older ones; the error lists every candidate and why it was turned down.
    pub fn select<S: Slot + ?Sized>(&self) -> Result<Selected<S>, SelectionError> {
        let mut scratch = Collector::default();
        let entries = scratch.gather(S::__collect);
        let mut instance: Option<Box<S>> = None;
        let (report, chosen) = self.decide_erased(S::NAME, TypeId::of::<S>, entries, &mut |e| {
            self.instance_of(typed::<S>(e.registration), true, false, &mut instance)
        });
        match (chosen, instance) {
            (Some(i), Some(instance)) => Ok(Selected {
                registration: typed(entries[i].registration),
                version: entries[i].version(),
                instance: Some(instance),
                report,
            }),
            _ => Err(SelectionError { report }),
        }
    }

    /// The decision for `S`: constructors and `is_acceptable` hooks run, instances are
    /// dropped. `start` runs only [`with_start`](Self::with_start), and then the
    /// chosen instance's `stop` runs before returning.
    pub fn explain<S: Slot + ?Sized>(&self) -> SlotReport {
        let mut scratch = Collector::default();
        let entries = scratch.gather(S::__collect);
        self.explain_erased(S::NAME, TypeId::of::<S>, entries)
    }

    /// [`explain`](Self::explain) without the slot's type: each registration is
    /// probed through its erased vtable. `entries` are the slot's registrations in
    /// any order.
    pub(crate) fn explain_erased(
        &self,
        slot: &'static str,
        type_id: fn() -> TypeId,
        entries: &mut [IndexEntry],
    ) -> SlotReport {
        let (mut report, chosen) =
            self.decide_erased(slot, type_id, entries, &mut |e| self.probe(e));
        if let (true, Some(i)) = (self.find_fallbacks, chosen) {
            // Where the walk stopped, it goes on: the versions before `i` were
            // turned down and would be again, `i` is the one set aside.
            let next = self.walk(slot, entries, i + 1, &mut |e| self.probe(e), |_, _| {});
            report.fallback = Some(next.map(|j| entries[j].meta));
        }
        report
    }

    /// Why `version` of `slot` is excluded by policy or quarantine, if it is. The
    /// rules compose in this order, the first that excludes is reported: deny, pin,
    /// rollout, pre-release (a pin or an admitting rollout that names the
    /// pre-release allows it), quarantine.
    fn exclusion(&self, slot: &str, version: &Version) -> Option<Refusal> {
        let policy = self.policy;
        if let Some(deny) = policy.denial(slot, version) {
            return Some(Refusal::new(
                ReasonCode::Denied,
                format!("denied by {slot}@{} ({})", deny.version, deny.source),
            ));
        }
        let pin = policy.pins.get(slot);
        let pre_allowed = policy.prereleases_allowed();
        if let Some(pin) = pin {
            let matches = pin.req.matches(version)
                || (pre_allowed && !version.pre.is_empty() && {
                    let mut release = version.clone();
                    release.pre = semver::Prerelease::EMPTY;
                    pin.req.matches(&release)
                });
            if !matches {
                return Some(Refusal::new(
                    ReasonCode::PinMismatch,
                    format!("outside pin {slot}={} ({})", pin.req, pin.source),
                ));
            }
        }
        if let Some((rollout, why)) = policy.rollout_exclusion(slot, version, self.facts) {
            return Some(Refusal::new(ReasonCode::Rollout, rollout.reason(&why)));
        }
        if !version.pre.is_empty()
            && !pre_allowed
            && !pin.is_some_and(|p| p.req.matches(version))
            && !policy.rollout_admits_prerelease(slot, version, self.facts)
        {
            return Some(Refusal::new(
                ReasonCode::Prerelease,
                "pre-release, not allowed by policy",
            ));
        }
        if let Some(entry) = self.quarantine.and_then(|q| q.get(slot, version)) {
            return Some(Refusal::new(
                ReasonCode::Quarantined,
                format!(
                    "quarantined since {} (unix): {}",
                    entry.since_unix, entry.reason
                ),
            ));
        }
        None
    }

    /// Constructs an instance of `registration` into `instance` and runs its hooks
    /// (`start` too when `activate`, then `stop` when `then_stop`); a rejected
    /// instance is dropped at once, before older versions are tried.
    fn instance_of<S: Slot + ?Sized>(
        &self,
        registration: &'static Registration<S>,
        activate: bool,
        then_stop: bool,
        instance: &mut Option<Box<S>>,
    ) -> Result<(), Refusal> {
        let facts = self.facts;
        self.instantiate(activate, then_stop, &mut |step| {
            hook(
                step,
                instance,
                || registration.construct(),
                S::__hook,
                facts,
            )
        })
    }

    /// [`walk`](Self::walk)s a slot's registrations and reports the versions it
    /// tried; the rest the report finds, when asked, in the slot's index
    /// (`type_id`), whose order is the one walked here.
    fn decide_erased(
        &self,
        slot: &'static str,
        type_id: fn() -> TypeId,
        entries: &mut [IndexEntry],
        try_instance: &mut dyn FnMut(&IndexEntry) -> Result<(), Refusal>,
    ) -> (SlotReport, Option<usize>) {
        let mut tried = Vec::with_capacity(1);
        let chosen = self.walk(slot, entries, 0, try_instance, |meta, refusal| {
            tried.push(match refusal {
                Some((outcome, refusal)) => Candidate::of(
                    meta,
                    outcome,
                    refusal.code,
                    Some(refusal.reason),
                    refusal.fact,
                ),
                None => Candidate::of(meta, Outcome::Selected, ReasonCode::Selected, None, None),
            });
        });
        let selected = chosen.map(|i| Choice::of(entries[i].meta));
        let not_tried = NotTried {
            type_id,
            count: entries.len() - tried.len(),
        };
        (SlotReport::new(slot, selected, tried, not_tried), chosen)
    }

    /// Explains one registration of any slot: constructs an instance and runs its
    /// hooks (`start`, then `stop`, when the selector runs `start`), then drops it.
    /// Compiled once: the instance is seen as its `Lifecycle`.
    fn probe(&self, entry: &IndexEntry) -> Result<(), Refusal> {
        let facts = self.facts;
        let mut instance: Option<Box<dyn Lifecycle>> = None;
        self.instantiate(self.start, true, &mut |step| {
            hook(
                step,
                &mut instance,
                || entry.registration.instance(),
                |plugin, hook| plugin.__muster_hook(hook),
                facts,
            )
        })
    }

    /// Walks `entries` (a slot's registrations, any order) newest first from the
    /// `from`-th (the `from` first being in place already), handing
    /// each version it tries to `tried` with its refusal (none for the one chosen);
    /// the first that passes policy, ambiguity, requirements and `try_instance` is
    /// chosen. Older ones are not tried, and not sorted either: the newest is found
    /// in one pass, and the entries are sorted only when the walk goes on (see
    /// [`bring_next`]).
    fn walk(
        &self,
        slot: &'static str,
        entries: &mut [IndexEntry],
        from: usize,
        try_instance: &mut dyn FnMut(&IndexEntry) -> Result<(), Refusal>,
        mut tried: impl FnMut(&'static PluginMeta, Option<(Outcome, Refusal)>),
    ) -> Option<usize> {
        for i in from..entries.len() {
            bring_next(entries, i);
            let entry = &entries[i];
            let refusal = match self.exclusion(slot, &entry.version()) {
                Some(refusal) => Some((Outcome::Excluded, refusal)),
                None => {
                    match check(self.facts, entries, entry).and_then(|()| try_instance(entry)) {
                        Ok(()) => None,
                        Err(refusal) => Some((Outcome::Rejected, refusal)),
                    }
                }
            };
            let chosen = refusal.is_none();
            tried(entry.meta, refusal);
            if chosen {
                return Some(i);
            }
        }
        None
    }

    /// Constructs an instance and runs its hooks (`start` too when `activate`)
    /// through `step`; panics reject the version.
    fn instantiate(
        &self,
        activate: bool,
        then_stop: bool,
        step: &mut dyn FnMut(Step) -> Result<(), Rejection>,
    ) -> Result<(), Refusal> {
        let outcome = self.hooks(activate, step);
        match outcome {
            // A rejected instance is dropped at once, before older versions are tried.
            Err(_) => {
                let _ = step(Step::Drop);
            }
            Ok(()) if then_stop && activate => stop_caught(&mut || {
                let _ = step(Step::Stop);
            }),
            Ok(()) => {}
        }
        outcome
    }

    /// The hook sequence of [`instantiate`](Self::instantiate): construct, accept,
    /// start; the first failure or panic is the refusal.
    fn hooks(
        &self,
        activate: bool,
        step: &mut dyn FnMut(Step) -> Result<(), Rejection>,
    ) -> Result<(), Refusal> {
        catch_plugin_panic(AssertUnwindSafe(|| step(Step::Construct)))
            .map_err(|message| {
                Refusal::new(
                    ReasonCode::ConstructorPanicked,
                    format!("constructor panicked: {message}"),
                )
            })?
            .map_err(|rejection| Refusal::new(ReasonCode::HookRejected, rejection.to_string()))?;
        match catch_plugin_panic(AssertUnwindSafe(|| step(Step::Accept))) {
            Ok(Ok(())) => {}
            Ok(Err(rejection)) => {
                return Err(Refusal::new(
                    ReasonCode::HookRejected,
                    rejection.to_string(),
                ));
            }
            Err(message) => {
                return Err(Refusal::new(
                    ReasonCode::HookPanicked,
                    format!("is_acceptable panicked: {message}"),
                ));
            }
        }
        if activate {
            match catch_plugin_panic(AssertUnwindSafe(|| step(Step::Start))) {
                Ok(Ok(())) => {}
                Ok(Err(rejection)) => {
                    return Err(Refusal::new(
                        ReasonCode::StartFailed,
                        format!("start failed: {rejection}"),
                    ));
                }
                Err(message) => {
                    return Err(Refusal::new(
                        ReasonCode::StartPanicked,
                        format!("start panicked: {message}"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Runs one step of [`Selector::instantiate`] on `instance`: constructs it with
/// `construct`, runs one of its hooks with `call`, or drops it. For a typed
/// selection the instance is the slot's trait object; for a probe, any slot's
/// instance seen as its `Lifecycle` (then this is compiled once).
fn hook<I: ?Sized>(
    step: Step,
    instance: &mut Option<Box<I>>,
    construct: impl FnOnce() -> Box<I>,
    call: fn(&mut I, Hook<'_>) -> Result<(), Rejection>,
    facts: &Facts,
) -> Result<(), Rejection> {
    match (step, instance.as_deref_mut()) {
        (Step::Construct, _) => *instance = Some(construct()),
        (Step::Accept, Some(plugin)) => return call(plugin, Hook::Accept(facts)),
        (Step::Start, Some(plugin)) => return call(plugin, Hook::Start),
        (Step::Stop, Some(plugin)) => {
            let _ = call(plugin, Hook::Stop);
        }
        (Step::Drop, _) => *instance = None,
        (_, None) => {}
    }
    Ok(())
}

/// One step of [`Selector::instantiate`], run by the slot's typed closure.
#[derive(Clone, Copy)]
enum Step {
    Construct,
    Accept,
    Start,
    /// Runs `stop` (the instance is dropped with the rest of the probe).
    Stop,
    /// Drops a rejected instance.
    Drop,
}

/// Runs a plugin's `stop` hook; a panic in it is caught and ignored (compiled
/// once: the typed part is the closure).
pub(crate) fn stop_caught(stop: &mut dyn FnMut()) {
    let _ = catch_plugin_panic(AssertUnwindSafe(stop));
}

/// How many of a slot's entries a walk finds one by one, each in one pass over the
/// rest, before it sorts the rest: a decision usually ends at the first or second
/// (the newest, or the one after it when the newest is turned down or set aside).
const FOUND_BY_SCANNING: usize = 2;

/// Puts at `i` the entry that is `i`-th in the index's order, `entries[..i]` being
/// the `i` first: found in one pass over the rest, or (from
/// [`FOUND_BY_SCANNING`] on) by sorting the rest once. Flags it ambiguous when
/// another entry has its version.
fn bring_next(entries: &mut [IndexEntry], i: usize) {
    if i > FOUND_BY_SCANNING {
        return;
    }
    let (walked, rest) = entries.split_at_mut(i);
    if i < FOUND_BY_SCANNING {
        let (newest, twin) = newest(rest);
        rest.swap(0, newest);
        rest[0].ambiguous = twin;
    } else {
        sort(rest);
    }
    // Equal versions are adjacent in the walk: the one walked just before may have
    // this version (it is flagged already, having seen this one among the rest).
    if walked
        .last()
        .is_some_and(|last| last.same_version(&rest[0]))
    {
        rest[0].ambiguous = true;
    }
}

/// The position of the first of `entries` (not empty) in the index's order, in
/// one pass, and whether another has its version.
fn newest(entries: &[IndexEntry]) -> (usize, bool) {
    let (mut newest, mut twin) = (0, false);
    for (i, e) in entries.iter().enumerate().skip(1) {
        match e.cmp_version(&entries[newest]) {
            Ordering::Greater => (newest, twin) = (i, false),
            Ordering::Equal => {
                twin = true;
                if newest_first(e, &entries[newest]).is_lt() {
                    newest = i;
                }
            }
            Ordering::Less => {}
        }
    }
    (newest, twin)
}

/// The checks that need no instance: ambiguity and declared requirements.
fn check(facts: &Facts, entries: &[IndexEntry], entry: &IndexEntry) -> Result<(), Refusal> {
    let meta = entry.meta;
    if entry.ambiguous {
        let crates: Vec<&str> = entries
            .iter()
            .filter(|e| e.same_version(entry))
            .map(|e| e.meta.crate_name())
            .collect();
        return Err(Refusal::new(
            ReasonCode::Ambiguous,
            format!(
                "ambiguous: version {} is registered by crates {}; refusing to pick one",
                meta.version(),
                crates.join(" and ")
            ),
        ));
    }
    for requirement in meta.requires() {
        requirement.check(facts).map_err(|reason| Refusal {
            code: ReasonCode::RequirementUnmet,
            reason: reason.into(),
            fact: Some(requirement.fact()),
        })?;
    }
    Ok(())
}

impl<S: ?Sized + Slot> Selected<S> {
    /// The registration that was selected.
    pub fn registration(&self) -> &'static Registration<S> {
        self.registration
    }

    /// The selected version.
    pub fn version(&self) -> &Version {
        &self.version
    }

    /// The decision that led here.
    pub fn report(&self) -> &SlotReport {
        &self.report
    }
}

impl<S: ?Sized + Slot> Deref for Selected<S> {
    type Target = S;
    fn deref(&self) -> &S {
        self.instance
            .as_deref()
            .expect("instance is present until drop")
    }
}

impl<S: ?Sized + Slot> DerefMut for Selected<S> {
    fn deref_mut(&mut self) -> &mut S {
        self.instance
            .as_deref_mut()
            .expect("instance is present until drop")
    }
}

impl<S: ?Sized + Slot> Drop for Selected<S> {
    fn drop(&mut self) {
        if let Some(mut instance) = self.instance.take() {
            // A panicking `stop` must not take the host down either.
            stop_caught(&mut || {
                let _ = S::__hook(&mut instance, Hook::Stop);
            });
        }
    }
}

impl<S: ?Sized + Slot> std::fmt::Debug for Selected<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Selected")
            .field("slot", &S::NAME)
            .field("version", &self.version.to_string())
            .finish_non_exhaustive()
    }
}
