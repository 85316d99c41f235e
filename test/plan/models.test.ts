import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { embeddingParams, expertParams, findModel, models, paramsFromArchitecture, routedExpertParams } from '../../src/plan/models.js';

describe('model catalogue', () => {
  test('published parameter counts agree with the architecture within 2% (MLA models excluded)', () => {
    for (const model of models.values()) {
      if (model.mla) continue;
      const error = paramsFromArchitecture(model) / model.totalParams - 1;
      assert.ok(Math.abs(error) < 0.02, `${model.id}: architecture gives ${(error * 100).toFixed(1)}% off the card`);
    }
  });

  test('Llama-3.1-8B from its config: 32 layers × (attention + MLP) + untied embeddings = 8.03 B', () => {
    const model = findModel('llama-3.1-8b')!;
    assert.equal(embeddingParams(model), 2 * 128_256 * 4096);
    assert.equal(Math.round(paramsFromArchitecture(model) / 1e7) / 100, 8.03);
  });

  test('MoE active parameters are the non-routed weights plus k experts per MoE layer', () => {
    for (const id of ['mixtral-8x7b', 'mixtral-8x22b', 'deepseek-v3']) {
      const model = findModel(id)!;
      const moe = model.moe!;
      const active = model.totalParams - routedExpertParams(model) + moe.moeLayers * moe.activeExperts * expertParams(model);
      const error = active / model.activeParams - 1;
      assert.ok(Math.abs(error) < 0.03, `${id}: ${(active / 1e9).toFixed(1)} B active vs ${model.activeParams / 1e9} B on the card`);
    }
  });

  test('dense models are fully active; MoE models are not', () => {
    for (const model of models.values()) {
      if (model.moe) assert.ok(model.activeParams < model.totalParams / 3, model.id);
      else assert.equal(model.activeParams, model.totalParams, model.id);
    }
  });

  test('every entry cites its config.json and has consistent attention shapes', () => {
    for (const model of models.values()) {
      assert.match(model.source, /^https:\/\/huggingface\.co\/.+\/config\.json$/, model.id);
      assert.equal(model.attentionHeads % model.kvHeads, 0, `${model.id}: query heads must group over KV heads`);
    }
  });

  test('lookup is case-insensitive and unknown ids are undefined', () => {
    assert.equal(findModel('Llama-3.1-70B')?.layers, 80);
    assert.equal(findModel('gpt-5'), undefined);
  });
});
