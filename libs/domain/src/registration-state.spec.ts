import fc from 'fast-check';
import {
  ACTION_STATE,
  REGISTRATION_STATES,
  RegistrationStates,
  canTransition,
  decideStart,
  failurePayload,
  shouldRetry,
  stateAfterFailure,
  type LifecycleAction,
} from './registration-state.js';

const actions = Object.keys(ACTION_STATE) as LifecycleAction[];

describe('the registration state machine', () => {
  it('splits every state into settled or in flight, never both', () => {
    for (const state of REGISTRATION_STATES) {
      expect(RegistrationStates.settled.includes(state)).not.toBe(RegistrationStates.inFlight.includes(state));
    }
  });

  it('lets every action begin only where the state machine allows the move into its state', () => {
    for (const action of actions) {
      for (const state of REGISTRATION_STATES) {
        if (decideStart(action, state) === 'begin') expect(canTransition(state, ACTION_STATE[action])).toBe(true);
      }
    }
  });

  it('resumes an action found in its own state and waits while another job works on the registration', () => {
    fc.assert(
      fc.property(fc.constantFrom(...actions), fc.constantFrom(...REGISTRATION_STATES), (action, state) => {
        const decision = decideStart(action, state);
        if (state === ACTION_STATE[action]) expect(decision).toBe('resume');
        else if (decision === 'wait') expect(RegistrationStates.inFlight).toContain(state);
        else if (decision === 'nothing_to_do') expect(RegistrationStates.settled).toContain(state);
      }),
    );
  });

  it('restarts only what the machine lets go back to queued', () => {
    for (const state of RegistrationStates.restartable) expect(canTransition(state, 'queued')).toBe(true);
  });

  it('leaves a failed step in a state its active state may move to', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...actions),
        fc.boolean(),
        fc.constantFrom(...RegistrationStates.startable),
        (action, retry, from) => {
          const to = stateAfterFailure(action, retry, from);
          expect(to === ACTION_STATE[action] || canTransition(ACTION_STATE[action], to)).toBe(true);
        },
      ),
    );
    expect(stateAfterFailure('register', true)).toBe('retrying');
    expect(canTransition('registering', stateAfterFailure('register', false))).toBe(true);
  });

  it('retries only transient errors with attempts left, and describes a failure the same way everywhere', () => {
    expect(shouldRetry({ retryable: true }, { final: false })).toBe(true);
    expect(shouldRetry({ retryable: true }, { final: true })).toBe(false);
    expect(shouldRetry({ retryable: false }, { final: false })).toBe(false);
    expect(failurePayload({ error: 'invalid_client_metadata', retryable: false })).toEqual({
      error: { code: 'invalid_client_metadata', description: null, httpStatus: null, retryable: false },
    });
  });
});
