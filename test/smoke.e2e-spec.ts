import { createTestApp, type TestApp } from '#testing';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });
  it('serves 404 for unknown routes', async () => {
    const res = await t.request('/api/v1/nope');
    expect(res.status).toBe(404);
  });
});
