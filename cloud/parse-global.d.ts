// Cloud code runs inside Parse Server, which provides the Parse SDK as a global (on Back4app too).
// Importing our own copy of `parse` would give a second, unconfigured SDK instance.
import type ParseNode from 'parse/node';

type SDK = typeof ParseNode;

declare global {
  var Parse: SDK;
  // Instance types under the SDK's names, so cloud code can write `Parse.User` in type positions.
  namespace Parse {
    type Object = InstanceType<SDK['Object']>;
    type User = InstanceType<SDK['User']>;
    type Role = InstanceType<SDK['Role']>;
    type ACL = InstanceType<SDK['ACL']>;
    type Error = InstanceType<SDK['Error']>;
    type Query = InstanceType<SDK['Query']>;
  }
}
