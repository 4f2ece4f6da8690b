import { KubeAccessConfig } from '@app/config';
import { KubeConfig } from '@kubernetes/client-node';
import type { InjectionToken, Provider } from '@nestjs/common';
import { KubeApi, type KubeApiOptions } from './kube-api.js';

/** Injection token of the Jobs' namespace. */
export const JOB_NAMESPACE = Symbol('JOB_NAMESPACE');
const KUBE_REQUEST_COUNTER = Symbol('KUBE_REQUEST_COUNTER');

/** How an app counts its Kubernetes API requests (its metrics), made from what it injects. */
export interface KubeRequestCounter {
  inject: InjectionToken[];
  useFactory: (...dependencies: never[]) => KubeApiOptions['onRequest'];
}

/**
 * The connection to the Kubernetes API both apps make, the same way: KUBECONFIG, ~/.kube/config, or the pod's
 * service account in a cluster; the Jobs' namespace; KubeApi with the request time-out. What each may do there
 * is its Role's business (the worker's, the api's read-only one).
 */
export function kubeAccessProviders(counter?: KubeRequestCounter): Provider[] {
  return [
    {
      provide: KubeConfig,
      useFactory: () => {
        const kubeConfig = new KubeConfig();
        kubeConfig.loadFromDefault();
        return kubeConfig;
      },
    },
    {
      provide: JOB_NAMESPACE,
      inject: [KubeAccessConfig, KubeConfig],
      useFactory: (config: KubeAccessConfig, kubeConfig: KubeConfig) =>
        config.JOB_NAMESPACE ?? kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace ?? 'default',
    },
    counter ? { provide: KUBE_REQUEST_COUNTER, ...counter } : { provide: KUBE_REQUEST_COUNTER, useValue: undefined },
    {
      provide: KubeApi,
      inject: [KubeConfig, KubeAccessConfig, KUBE_REQUEST_COUNTER],
      useFactory: (kubeConfig: KubeConfig, config: KubeAccessConfig, onRequest: KubeApiOptions['onRequest']) =>
        new KubeApi(kubeConfig, { requestTimeoutMs: config.KUBE_REQUEST_TIMEOUT_MS, onRequest }),
    },
  ];
}
