import should from 'should';
import { BindingError } from '../../src/binding/errors';

/** Runs fn, which must throw a BindingError, and returns it. */
export function bindingFailure(fn: () => unknown): BindingError {
  try {
    fn();
  } catch (err) {
    should(err).be.instanceOf(BindingError);
    return err as BindingError;
  }
  throw new Error('expected a BindingError');
}
