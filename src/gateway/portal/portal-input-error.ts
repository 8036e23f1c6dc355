/** Why a portal account request cannot be carried out as given; `code` for callers, the message for people. */
export type PortalInputProblem = 'bad_email' | 'bad_role' | 'unknown_organisation' | 'email_taken' | 'unknown_user' | 'bad_password' | 'operator_has_no_organisation';

export class PortalInputError extends Error {
  constructor(
    readonly problem: PortalInputProblem,
    message: string,
  ) {
    super(message);
    this.name = 'PortalInputError';
  }
}
