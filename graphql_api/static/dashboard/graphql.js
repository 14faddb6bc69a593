// One POST to the app's own /graphql; the dashboard uses nothing but this public API.

export class ApiError extends Error {
  constructor(message, requestId) {
    super(message);
    this.requestId = requestId;
  }
}

/**
 * Run one GraphQL operation and return its `data`.
 * Throws ApiError with the first error's message (GraphQL `errors[]` or an RFC 9457 problem
 * document's `detail`) and the X-Request-ID to quote.
 */
export async function graphql(query, variables = {}) {
  let response;
  try {
    response = await fetch("graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      // The operation's name travels with it: the server's logs and metrics count operations by name.
      body: JSON.stringify({ query, variables, operationName: query.match(/^\s*query\s+(\w+)/)?.[1] }),
    });
  } catch (error) {
    throw new ApiError(`the API cannot be reached (${error.message})`, null);
  }
  const requestId = response.headers.get("X-Request-ID");
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`HTTP ${response.status}: the answer is not JSON`, requestId);
  }
  if (body.errors && body.errors.length) {
    throw new ApiError(body.errors[0].message, requestId);
  }
  if (!response.ok || !body.data) {
    throw new ApiError(body.detail || body.title || `HTTP ${response.status}`, requestId);
  }
  return body.data;
}
