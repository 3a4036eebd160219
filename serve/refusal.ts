/** A request the dashboard turns down, with the HTTP status and the sentence the page shows. */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
