# E1: the computational graph y = (x + w)(w + 1) at w = 1, x = 2 (notes: autograd lesson)
import torch

w = torch.tensor([1.], requires_grad=True)
x = torch.tensor([2.], requires_grad=True)

a = torch.add(w, x)
b = torch.add(w, 1)
y = torch.mul(a, b)

y.backward(retain_graph=True)
print(w.grad)
print(x.grad)
print("is_leaf:", w.is_leaf, x.is_leaf, a.is_leaf, b.is_leaf, y.is_leaf)
print("requires_grad:", a.requires_grad, b.requires_grad, y.requires_grad)
print("grad_fn:", y.grad_fn, a.grad_fn, b.grad_fn)
