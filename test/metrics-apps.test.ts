// The compact per-app families (src/metrics-apps.ts) must expose exactly what prom-client's own
// Gauge/Counter did: every per-app series at 0 once the app appears, all gone when it leaves.
import test from 'ava';
import { Metrics } from '../src/metrics.js';

const lines = async (m: Metrics, prefix: string) => (await m.registry.metrics()).split('\n').filter((l) => l.startsWith(prefix)).sort();

test('an app that appears gets every per-app series at 0; one that leaves loses all of them', async (t) => {
  const m = new Metrics();
  m.initApp('default', 'web');
  m.setAppInfo('default', 'web', 'Synced', 'Healthy');
  t.deepEqual(await lines(m, 'drover_drift_detected_total{'), [
    'drover_drift_detected_total{namespace="default",app="web",source="event"} 0',
    'drover_drift_detected_total{namespace="default",app="web",source="resync"} 0',
    'drover_drift_detected_total{namespace="default",app="web",source="snapshot"} 0',
  ]);
  for (const name of ['drover_app_drift', 'drover_app_drift_fields', 'drover_drift_first_seen_timestamp_seconds', 'drover_self_heal_total', 'drover_app_consul_drift', 'drover_vault_preflight_failures_total']) {
    t.deepEqual(await lines(m, `${name}{`), [`${name}{namespace="default",app="web"} 0`], name);
  }
  t.deepEqual(await lines(m, 'drover_app_info{'), ['drover_app_info{namespace="default",app="web",sync_status="Synced",health_status="Healthy"} 1']);
  m.forgetApp('default', 'web');
  t.deepEqual((await m.registry.metrics()).split('\n').filter((l) => l.includes('app="web"')), []);
});

test('values land on the right app and label; app info is replaced, not added', async (t) => {
  const m = new Metrics();
  for (const app of ['a', 'b']) m.initApp('ns', app);
  m.appDrift.set({ namespace: 'ns', app: 'b' }, 1);
  m.appDriftFields.set({ namespace: 'ns', app: 'b' }, 3);
  m.driftDetected.inc({ namespace: 'ns', app: 'b', source: 'event' });
  m.driftDetected.inc({ namespace: 'ns', app: 'b', source: 'event' });
  m.selfHeal.inc({ namespace: 'ns', app: 'a' });
  m.setAppInfo('ns', 'a', 'OutOfSync', 'Progressing');
  m.setAppInfo('ns', 'a', 'Synced', 'Healthy');
  t.deepEqual(await lines(m, 'drover_app_drift{'), ['drover_app_drift{namespace="ns",app="a"} 0', 'drover_app_drift{namespace="ns",app="b"} 1']);
  t.deepEqual(await lines(m, 'drover_app_drift_fields{'), ['drover_app_drift_fields{namespace="ns",app="a"} 0', 'drover_app_drift_fields{namespace="ns",app="b"} 3']);
  t.true((await lines(m, 'drover_drift_detected_total{')).includes('drover_drift_detected_total{namespace="ns",app="b",source="event"} 2'));
  t.deepEqual(await lines(m, 'drover_self_heal_total{'), ['drover_self_heal_total{namespace="ns",app="a"} 1', 'drover_self_heal_total{namespace="ns",app="b"} 0']);
  t.deepEqual(await lines(m, 'drover_app_info{'), ['drover_app_info{namespace="ns",app="a",sync_status="Synced",health_status="Healthy"} 1']);
  t.deepEqual(await lines(m, '# TYPE drover_self_heal_total'), ['# TYPE drover_self_heal_total counter']);
  t.deepEqual(await lines(m, '# TYPE drover_app_drift '), ['# TYPE drover_app_drift gauge']);
});

test('counters refuse to go down and unknown label values are refused', (t) => {
  const m = new Metrics();
  t.throws(() => m.selfHeal.inc({ namespace: 'ns', app: 'a' }, -1), { message: /cannot go down/ });
  t.throws(() => m.driftDetected.inc({ namespace: 'ns', app: 'a', source: 'bogus' }), { message: /unknown source "bogus"/ });
});

test('service instances: every state per service, replaced per verification, gone with the app', async (t) => {
  const m = new Metrics();
  m.initApp('ns', 'a');
  m.verify.setInstances('ns', 'a', ['a-http', 'a-grpc'], [{ service: 'a-http', state: 'passing', count: 2 }, { service: 'a-grpc', state: 'critical', count: 1 }]);
  const got = await lines(m, 'drover_service_instances{');
  t.is(got.length, 8);
  t.true(got.includes('drover_service_instances{namespace="ns",app="a",service="a-http",state="passing"} 2'));
  t.true(got.includes('drover_service_instances{namespace="ns",app="a",service="a-grpc",state="critical"} 1'));
  t.true(got.includes('drover_service_instances{namespace="ns",app="a",service="a-grpc",state="missing"} 0'));
  m.verify.setInstances('ns', 'a', ['a-http']);
  t.deepEqual((await lines(m, 'drover_service_instances{')).length, 4);
  m.verify.setInstances('ns', 'a', []);
  t.deepEqual(await lines(m, 'drover_service_instances{'), []);
  m.registry.resetMetrics();
  t.deepEqual(await lines(m, 'drover_app_drift{'), ['drover_app_drift{namespace="ns",app="a"} 0']);
});
