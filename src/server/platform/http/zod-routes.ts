import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";

/**
 * How the modules declare their routes: a plugin for `app.register` whose instance reads its
 * schemas as zod's, so that params, query, body and replies are typed from them.
 */

/** The instance routes are declared on: the app, with zod as its type provider. */
export type ZodRoutes = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** A plugin that hands `declare` the app with zod's types, to add a module's routes to it. */
export function zodRoutes(declare: (r: ZodRoutes) => void): (app: FastifyInstance) => void {
  return (app) => declare(app.withTypeProvider<ZodTypeProvider>());
}
