/** Which interaction answers which URL pattern and method (R4 http.html#summary table). */
import { batchOrTransaction } from '../interactions/bundle-dispatch.js';
import { capabilities } from '../interactions/capabilities.js';
import { resourceCapability, type CapabilityTemplate } from '../interactions/capability-template.js';
import { compartmentSearch } from '../interactions/compartment-search.js';
import { create } from '../interactions/create.js';
import { deleteResource } from '../interactions/delete.js';
import { history } from '../interactions/history.js';
import { patch } from '../interactions/patch.js';
import { reindex } from '../interactions/operations/reindex.js';
import { read } from '../interactions/read.js';
import { search } from '../interactions/search.js';
import { update } from '../interactions/update.js';
import { vread } from '../interactions/vread.js';
import type { RoutePattern } from './routes.js';

export function restRoutePatterns(template: CapabilityTemplate): RoutePattern[] {
  const conditionalUpdate = (resourceType: string) => resourceCapability(template, resourceType).conditionalUpdate === true;
  const conditionalDelete = (resourceType: string) => {
    const support = resourceCapability(template, resourceType).conditionalDelete;
    return support === 'single' || support === 'multiple';
  };
  return [
    { url: '/metadata', typed: false, methods: { GET: { handler: capabilities } } },
    {
      url: '/', typed: false, methods: {
        GET: { capability: 'search-system', handler: search },
        POST: { capability: 'transaction', handler: batchOrTransaction },
      },
    },
    { url: '/_search', typed: false, formBody: true, methods: { POST: { capability: 'search-system', handler: search } } },
    { url: '/_history', typed: false, methods: { GET: { capability: 'history-system', handler: history } } },
    // $reindex (interactions/operations/reindex.ts): POST runs or resumes a job, GET reports on jobs
    { url: '/$reindex', typed: false, methods: { GET: { handler: reindex }, POST: { handler: reindex } } },
    { url: '/:type/$reindex', typed: true, methods: { POST: { handler: reindex } } },
    { url: '/:type/:id/$reindex', typed: true, methods: { POST: { handler: reindex } } },
    {
      url: '/:type', typed: true, methods: {
        GET: { capability: 'search-type', handler: search },
        POST: { capability: 'create', handler: create },
        PUT: { capability: 'update', allowed: conditionalUpdate, handler: update },
        DELETE: { capability: 'delete', allowed: conditionalDelete, handler: deleteResource },
        PATCH: { capability: 'patch', allowed: conditionalUpdate, handler: patch },
      },
    },
    { url: '/:type/_search', typed: true, formBody: true, methods: { POST: { capability: 'search-type', handler: search } } },
    { url: '/:type/_history', typed: true, methods: { GET: { capability: 'history-type', handler: history } } },
    {
      url: '/:type/:id', typed: true, methods: {
        GET: { capability: 'read', handler: read },
        PUT: { capability: 'update', handler: update },
        DELETE: { capability: 'delete', handler: deleteResource },
        PATCH: { capability: 'patch', handler: patch },
      },
    },
    { url: '/:type/:id/_history', typed: true, methods: { GET: { capability: 'history-instance', handler: history } } },
    { url: '/:type/:id/_history/:vid', typed: true, methods: { GET: { capability: 'vread', handler: vread } } },
    {
      url: '/:type/:id/:compartmentType', typed: true,
      target: (params) => ({ resourceType: params.compartmentType, compartment: { resourceType: params.type!, id: params.id! } }),
      methods: { GET: { capability: 'search-type', handler: compartmentSearch } },
    },
  ];
}
