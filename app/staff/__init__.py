"""Staff and teams: invitations, direct hires, roles and teams, leavers with their handover (离职交接),
password resets."""
