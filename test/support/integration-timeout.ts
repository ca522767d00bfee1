// Integration tests talk to a real broker, registry and store: group joins alone take seconds.
jest.setTimeout(60_000);
