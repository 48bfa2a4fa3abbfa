// What this user may do on this meeting, so the console shows only the buttons that
// would work. The server decides (services/meetings.py); this mirrors its rules and a
// refused request still shows the server's message.

const EDITABLE = new Set(["draft", "scheduled", "in_progress", "paused"]);
const PREPARING = new Set(["draft", "scheduled"]);
const LIVE = new Set(["in_progress", "paused"]);
const ENDED = new Set(["closed", "cancelled"]);
// Preparing a meeting is the office's; running it is the secretary's or chair's.
const OFFICE_ACTIONS = new Set(["schedule", "unschedule", "cancel"]);

export function meetingRights(session, detail) {
  const office = ["admin", "office"].includes(session?.user?.role);
  const runs = office || ["chair", "secretary"].includes(detail.my_role);
  const state = detail.state;
  return {
    office,
    runs,
    editDetails: office && EDITABLE.has(state),
    editAgenda: EDITABLE.has(state) && (LIVE.has(state) ? runs : office),
    deleteAgenda: office && PREPARING.has(state),
    editParticipants: office && EDITABLE.has(state),
    removeParticipants: office && PREPARING.has(state),
    rollCall: runs && !ENDED.has(state),
    seeJoinCode: Object.prototype.hasOwnProperty.call(detail, "join_code"),
    issueJoinCode: runs && !ENDED.has(state),
    revokeJoinCode: runs,
    may(action) {
      return OFFICE_ACTIONS.has(action) ? office : runs;
    },
  };
}
