// Applying events to the meeting state: one reducer per event type, as docs/protocol.md's
// "Applying events to the state" says. Pure functions of (state, data): the tablet, the
// console, the room display and the tests all apply events through `applyEvent`.


export function byPosition(a, b) {
  return a.position - b.position || a.id - b.id;
}

export function findItem(agenda, id) {
  for (const item of agenda) {
    if (item.id === id) return item;
    for (const child of item.children ?? []) if (child.id === id) return child;
  }
  return null;
}

function siblingsOf(agenda, parentId) {
  if (parentId === null || parentId === undefined) return agenda;
  return findItem(agenda, parentId)?.children ?? null;
}

function setState(state, data) {
  state.meeting.state = data.state;
}

function upsertParticipant(state, data) {
  const list = state.meeting.participants.filter((p) => p.id !== data.id);
  list.push({ ...data });
  list.sort(byPosition);
  state.meeting.participants = list;
  recountEligible(state);
}

const PRESENT = new Set(["present", "present_online"]);

/**
 * Each poll's `eligible` follows the roll, as the server counts it: every voting member, or
 * only those marked present (docs/protocol.md, `attendance.recorded` and `participant.*`).
 */
function recountEligible(state) {
  const voters = state.meeting.participants.filter((p) => p.voting_member);
  const present = voters.filter((p) => PRESENT.has(p.attendance)).length;
  for (const poll of state.live.polls ?? []) {
    poll.eligible = poll.eligibility === "voting_members" ? voters.length : present;
  }
}

function setSpeakers(state, data) {
  state.live.speakers = data.queue;
}

// Polls (biểu quyết): live.polls, ordered by id; an event carrying `poll` replaces its
// keys and keeps what only the snapshot knows (`me`, `ballots`, `counts`).
function polls(state) {
  state.live.polls ??= [];
  return state.live.polls;
}

function upsertPoll(state, data) {
  const list = polls(state);
  const old = list.find((p) => p.id === data.poll.id);
  if (old) {
    Object.assign(old, data.poll);
    return;
  }
  list.push({ ...data.poll, me: { voted: false, ballot_key: null, choices: null }, ballots: null, counts: null });
  list.sort((a, b) => a.id - b.id);
}

function findPoll(state, id) {
  return polls(state).find((p) => p.id === id) ?? null;
}

/** One reducer per event type; an unknown type changes nothing (and still advances seq). */
export const REDUCERS = {
  "meeting.created": (s, d) => {
    s.meeting.title = d.title;
  },
  "meeting.updated": (s, d) => {
    for (const [key, value] of Object.entries(d)) if (value !== null && value !== undefined) s.meeting[key] = value;
  },
  "meeting.scheduled": setState,
  "meeting.unscheduled": setState,
  "meeting.started": setState,
  "meeting.paused": setState,
  "meeting.resumed": setState,
  "meeting.closed": setState,
  "meeting.cancelled": setState,
  "participant.added": upsertParticipant,
  "participant.updated": upsertParticipant,
  "participant.removed": (s, d) => {
    s.meeting.participants = s.meeting.participants.filter((p) => p.id !== d.participant_id);
    recountEligible(s);
  },
  "attendance.recorded": (s, d) => {
    const p = s.meeting.participants.find((x) => x.id === d.participant_id);
    if (p) {
      p.attendance = d.attendance;
      p.absence_reason = d.reason;
    }
    recountEligible(s);
  },
  "agenda.item_added": (s, d) => {
    const siblings = siblingsOf(s.meeting.agenda, d.parent_id);
    if (!siblings) return;
    const item = d.parent_id === null ? { ...d, children: [] } : { ...d };
    const rest = siblings.filter((i) => i.id !== d.id);
    rest.push(item);
    rest.sort(byPosition);
    if (d.parent_id === null) s.meeting.agenda = rest;
    else findItem(s.meeting.agenda, d.parent_id).children = rest;
  },
  "agenda.item_updated": (s, d) => {
    const item = findItem(s.meeting.agenda, d.id);
    if (!item) return;
    Object.assign(item, d);
    const siblings = siblingsOf(s.meeting.agenda, d.parent_id);
    siblings?.sort(byPosition);
  },
  "agenda.item_removed": (s, d) => {
    s.meeting.agenda = s.meeting.agenda
      .filter((i) => i.id !== d.item_id)
      .map((i) => ({ ...i, children: (i.children ?? []).filter((c) => c.id !== d.item_id) }));
  },
  "agenda.reordered": (s, d) => {
    const siblings = siblingsOf(s.meeting.agenda, d.parent_id);
    if (!siblings) return;
    d.order.forEach((id, index) => {
      const item = siblings.find((i) => i.id === id);
      if (item) item.position = index;
    });
    siblings.sort(byPosition);
  },
  "agenda.item_opened": (s, d) => {
    const item = findItem(s.meeting.agenda, d.item_id);
    if (item) item.state = "open";
    s.live.current_item_id = d.item_id;
  },
  "agenda.item_finished": (s, d) => {
    const item = findItem(s.meeting.agenda, d.item_id);
    if (item) item.state = "done";
    if (s.live.current_item_id === d.item_id) s.live.current_item_id = null;
  },
  "agenda.conclusion_recorded": (s, d) => {
    s.live.conclusions = { ...(s.live.conclusions ?? {}), [String(d.item_id)]: { summary: d.summary, points: d.points } };
  },
  "presenter.page_changed": (s, d) => {
    s.live.presenter = { document_id: d.document_id, page: d.page };
  },
  "presenter.cleared": (s) => {
    s.live.presenter = null;
  },
  "speaker.requested": setSpeakers,
  "speaker.withdrawn": setSpeakers,
  "speaker.granted": setSpeakers,
  "speaker.finished": setSpeakers,
  "timer.started": (s, d) => {
    s.live.timer = { label: d.label, seconds: d.seconds, ends_at: d.ends_at };
  },
  "timer.stopped": (s) => {
    s.live.timer = null;
  },
  "announcement.made": (s, d, event) => {
    s.live.announcement = { text: d.text, at: event.ts };
  },
  "poll.created": upsertPoll,
  "poll.updated": upsertPoll,
  "poll.opened": (s, d) => {
    upsertPoll(s, d);
    // A controller follows a named poll's ballots from its opening: none yet, all counts zero.
    const poll = findPoll(s, d.poll.id);
    if (s.me?.controller && poll.kind === "open" && poll.ballots === null) {
      poll.ballots = [];
      poll.counts = Object.fromEntries(poll.options.map((o) => [o.id, 0]));
    }
  },
  "poll.closed": upsertPoll,
  "poll.cancelled": upsertPoll,
  "poll.deleted": (s, d) => {
    s.live.polls = polls(s).filter((p) => p.id !== d.poll_id);
  },
  "poll.ballot_counted": (s, d) => {
    const poll = findPoll(s, d.poll_id);
    if (poll) {
      poll.ballots_cast = d.ballots_cast;
      poll.eligible = d.eligible;
    }
  },
  "poll.voted": (s, d) => {
    const poll = findPoll(s, d.poll_id);
    if (poll && d.participant_ids.includes(s.me?.participant_id)) poll.me = { ...poll.me, voted: true };
  },
  "poll.ballots_recorded": (s, d) => {
    const poll = findPoll(s, d.poll_id);
    if (!poll) return;
    const byVoter = new Map((poll.ballots ?? []).map((b) => [b.participant_id, b]));
    for (const ballot of d.ballots) byVoter.set(ballot.participant_id, ballot);
    poll.ballots = [...byVoter.values()].sort((a, b) => a.participant_id - b.participant_id);
    poll.counts = d.counts;
  },
};

/** Applies one event to `state` in place (exported for the room display and tests). */
export function applyEvent(state, event) {
  const reducer = REDUCERS[event.type];
  if (reducer) reducer(state, event.data ?? {}, event);
}
