import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
} from '@aws-sdk/client-ecs';
import {
  GetApplicationCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator, type SeededService } from '../../../emulator/index.js';
import { clients, rejection, type Clients } from './helpers.js';

let emu: Emulator;
let c: Clients;
let s: SeededService;

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 200 });
  c = clients(emu);
  s = emu.seed.blueGreenService();
});
afterAll(() => emu.stop());

describe('ELBv2', () => {
  it('describes the load balancer and both listeners', async () => {
    const lbs = await c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [s.loadBalancerArn] }));
    expect(lbs.LoadBalancers?.[0]?.DNSName).toBe(s.loadBalancerDnsName);
    expect(lbs.LoadBalancers?.[0]?.DNSName).toMatch(/\.us-east-1\.elb\.amazonaws\.com$/);
    const ls = await c.elb.send(
      new DescribeListenersCommand({ ListenerArns: [s.prodListenerArn, s.testListenerArn!] }),
    );
    expect(ls.Listeners?.map((l) => [l.Port, l.Protocol])).toEqual([
      [80, 'HTTP'],
      [8080, 'HTTP'],
    ]);
    expect(ls.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn).toBe(s.targetGroupArns[0]);
    const missing = await rejection(
      c.elb.send(new DescribeListenersCommand({ ListenerArns: [`${s.prodListenerArn}0`] })),
    );
    expect(missing.name).toBe('ListenerNotFoundException');
    const noLb = await rejection(
      c.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [`${s.loadBalancerArn}0`] })),
    );
    expect(noLb.name).toBe('LoadBalancerNotFoundException');
  });
});

describe('faults', () => {
  it('surfaces throttling as ThrottlingException with maxAttempts 1, only where asked', async () => {
    emu.faults.set({ throttleRate: 1, only: { service: 'ecs', actions: ['DescribeServices'] } });
    try {
      const e = await rejection(
        c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })),
      );
      expect(e.name).toBe('ThrottlingException');
      expect(e.message).toBe('Rate exceeded');
      expect(e.$metadata?.httpStatusCode).toBe(400);
      const td = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
      expect(td.taskDefinition?.revision).toBe(1);
    } finally {
      emu.faults.clear();
    }
    expect(emu.calls.some((x) => x.action === 'DescribeServices' && x.error === 'ThrottlingException')).toBe(
      true,
    );
  });

  it('returns 5xx server errors and drops connections', async () => {
    emu.faults.set({ serverErrorRate: 1, only: { service: 'codedeploy' } });
    try {
      const e = await rejection(c.cd.send(new GetApplicationCommand({ applicationName: s.application })));
      expect(['InternalFailure', 'ServiceUnavailable']).toContain(e.name);
      expect([500, 503]).toContain(e.$metadata?.httpStatusCode);
    } finally {
      emu.faults.clear();
    }
    emu.faults.set({ dropRate: 1, only: { service: 'elbv2' } });
    try {
      const e = await rejection(c.elb.send(new DescribeLoadBalancersCommand({})));
      expect(e.name).not.toBe('LoadBalancerNotFoundException');
      expect(e.$metadata?.httpStatusCode).toBeUndefined();
    } finally {
      emu.faults.clear();
    }
  });

  it('delays requests by slowMs', async () => {
    emu.faults.set({ slowMs: 150 });
    const t0 = Date.now();
    try {
      await c.ecs.send(new ListTaskDefinitionsCommand({}));
    } finally {
      emu.faults.clear();
    }
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
  });
});

describe('snapshot', () => {
  it('is unchanged by read-only calls', async () => {
    const before = emu.snapshot();
    expect(JSON.parse(before).families.web).toHaveLength(1);
    await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    await c.ecs.send(new ListTaskDefinitionsCommand({}));
    await c.cd.send(
      new GetDeploymentGroupCommand({
        applicationName: s.application,
        deploymentGroupName: s.deploymentGroup,
      }),
    );
    await c.cd.send(new ListDeploymentsCommand({}));
    await c.elb.send(new DescribeListenersCommand({ ListenerArns: [s.prodListenerArn] }));
    expect(emu.snapshot()).toBe(before);
  });
});
