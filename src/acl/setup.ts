// From `acl:` to the step.

import type { SinkdConfig } from '../config/types.js';
import { CidrSet } from '../net/cidr.js';
import { AclStep } from './acl-step.js';

export function aclStep(acl: SinkdConfig['acl']): AclStep {
  return new AclStep(new CidrSet(acl.allow));
}
