import { expect, test } from 'vitest';
import { mongoDatabaseURI } from '../helpers/server';

test.each([
  ['mongodb://127.0.0.1:27017', 'mongodb://127.0.0.1:27017/t_1'],
  ['mongodb://127.0.0.1:27017/', 'mongodb://127.0.0.1:27017/t_1'],
  ['mongodb://user:pw@db.example:27017/shop?authSource=admin', 'mongodb://user:pw@db.example:27017/t_1?authSource=admin'],
  ['mongodb://a:1,b:2/?replicaSet=rs0', 'mongodb://a:1,b:2/t_1?replicaSet=rs0'],
  ['mongodb+srv://cluster.example.net/shop', 'mongodb+srv://cluster.example.net/t_1'],
])('the MongoDB leg gives each server its own database: %s', (uri, expected) => {
  expect(mongoDatabaseURI(uri, 't_1')).toBe(expected);
});
